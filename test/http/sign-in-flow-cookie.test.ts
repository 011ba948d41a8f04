/**
 * The single sign-on flow cookie behind TLS (here a trusted proxy's `X-Forwarded-Proto: https`, as a
 * TLS-terminating load balancer sends it): `__Secure-` and `Secure`, so no plain-HTTP page of the site
 * can set or read it, and a flow started over HTTPS finishes only over HTTPS.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FROM_PROVIDER, SsoBrowser } from '../helpers/sso-browser.ts'
import { startSsoGateway } from '../helpers/sso-gateway.ts'

const FLOW_COOKIE = /^__Secure-influx-gateway-sso-[\w-]{12}=[\w-]{43}; Path=\/gateway\/oidc\/callback; HttpOnly; SameSite=Lax; Secure; Max-Age=600$/
const CLEARED = /^__Secure-influx-gateway-sso-[\w-]{12}=; Path=\/gateway\/oidc\/callback; HttpOnly; SameSite=Lax; Secure; Max-Age=0$/

test('over HTTPS the flow cookie is __Secure- and Secure, is found at the callback, and the flow completes', async (t) => {
  const gw = await startSsoGateway(t, { gateway: { config: { server: { trustProxy: ['127.0.0.1/32'] } } } })
  const browser = new SsoBrowser({ headers: { 'x-forwarded-proto': 'https' } })
  const login = await browser.request(gw.loginUrl('/orgs/7'))
  assert.equal(login.status, 302, login.body)
  assert.equal(login.setCookies.length, 1)
  assert.match(login.setCookies[0] ?? '', FLOW_COOKIE)
  browser.cookies.clear()

  const callback = await browser.signInAtProvider(gw.loginUrl('/orgs/7'), 'alice', gw.callbackUrl)
  // The same callback over plain HTTP (no X-Forwarded-Proto): the __Secure- cookie is not its flow's.
  const plain = await browser.request(callback, { headers: { ...FROM_PROVIDER, 'x-forwarded-proto': 'http' } })
  assert.equal(plain.status, 400, plain.body)
  assert.match(plain.body, /started in another browser/)

  const back = await browser.request(callback, { headers: FROM_PROVIDER })
  assert.equal(back.status, 302, back.body)
  assert.equal(back.location, `${gw.url}/orgs/7`)
  assert.ok(back.setCookies.some((c) => CLEARED.test(c)), `the flow cookie is cleared under its own name: ${back.setCookies.join(' | ')}`)
  const session = back.setCookies.find((c) => c.startsWith('influxdb-oss-session='))
  assert.match(session ?? '', /; Secure/, 'the session cookie is Secure too')
  assert.equal((await browser.request(`${gw.url}/api/v2/me`)).status, 200)
})
