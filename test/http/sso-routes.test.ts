/**
 * Single sign-on through HTTP against a real provider (oidc-provider 8): the flow from the login route
 * to a session, and each way its return is refused.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SsoBrowser } from '../helpers/sso-browser.ts'
import { READERS_TOKEN, startSsoGateway } from '../helpers/sso-gateway.ts'

test('sign-in at the provider: a session with the credential of the user\'s group, then back to returnTo', async (t) => {
  const gw = await startSsoGateway(t)
  const browser = new SsoBrowser()
  const callback = await browser.signInAtProvider(gw.loginUrl('/orgs/123/data-explorer?x=1'), 'alice', gw.callbackUrl)
  const back = await browser.request(callback)
  assert.equal(back.status, 302, back.body)
  assert.equal(back.location, `${gw.url}/orgs/123/data-explorer?x=1`)
  assert.ok(browser.cookies.has('influxdb-oss-session'), 'the session cookie is set')
  assert.deepEqual([...browser.cookies.keys()].filter((k) => k.startsWith('influx-gateway-sso')), [], 'the flow cookie is dropped')

  const me = await browser.request(`${gw.url}/api/v2/me`)
  assert.equal(me.status, 200)
  assert.equal(gw.influx.requests.at(-1)?.headers.authorization, `Token ${READERS_TOKEN}`)
  const session = JSON.parse((await browser.request(`${gw.url}/gateway/session`)).body) as { user: string }
  assert.equal(session.user, 'alice')
  const audit = await gw.waitForLog((l) => l.audit === 'signin' && l.result === 'success')
  assert.equal(audit.source, 'oidc')
  assert.equal(audit.user, 'alice')
})
