/**
 * Signing in from a protected app's page through single sign-on: forward auth answers the page load with the
 * gateway's sign-in, which comes back to that page, whose next question is then answered with the identity.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PROXY_ADDRESS } from '../helpers/peer.ts'
import { FROM_PROVIDER, SsoBrowser } from '../helpers/sso-browser.ts'
import { startSsoGateway } from '../helpers/sso-gateway.ts'

const PAGE = { 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }

test('an app page without a session: to the single sign-on, back to that page, then the identity', async (t) => {
  const apps = [{ name: 'grafana', pathPrefix: '/grafana', groups: ['staff'] }]
  const gw = await startSsoGateway(t, { gateway: { config: { forwardAuth: { trustedProxies: [`${PROXY_ADDRESS}/32`], apps } } } })
  const ingress = new SsoBrowser({ localAddress: PROXY_ADDRESS })
  const browser = new SsoBrowser()
  const ask = async (cookie?: string): Promise<{ status: number, location?: string, headers: Record<string, unknown> }> => {
    const question = { 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/grafana/d/home?orgId=1', ...PAGE, ...(cookie === undefined ? {} : { cookie }) }
    const hop = await ingress.request(`${gw.url}/gateway/auth`, { headers: question })
    return { status: hop.status, location: hop.headers.location, headers: hop.headers }
  }
  const first = await ask()
  assert.equal(first.status, 401)
  assert.equal(first.location, `/gateway/oidc/login?returnTo=${encodeURIComponent('/grafana/d/home?orgId=1')}`)
  const callback = await browser.signInAtProvider(`${gw.url}${first.location}`, 'alice', gw.callbackUrl)
  const back = await browser.request(callback, { headers: FROM_PROVIDER })
  assert.equal(back.location, `${gw.url}/grafana/d/home?orgId=1`, 'back to the app page')
  const answered = await ask(browser.cookieHeader())
  assert.equal(answered.status, 200)
  assert.deepEqual([answered.headers['x-auth-request-user'], answered.headers['x-auth-request-groups']], ['alice', 'influx-readers,staff'])
  assert.equal(answered.headers.authorization, undefined, 'an app never gets an InfluxDB credential')
})
