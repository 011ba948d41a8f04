/**
 * A provider that is down when the gateway starts: the gateway starts anyway, a sign-in gets a readable
 * 503 page (audited), and once the provider is up the next sign-in discovers it and works. A provider
 * down at logout: the gateway session ends all the same, and the page says so.
 */
import assert from 'node:assert/strict'
import http from 'node:http'
import { test } from 'node:test'
import { startOidcProvider } from '../helpers/oidc-provider.ts'
import { FROM_PROVIDER, SsoBrowser } from '../helpers/sso-browser.ts'
import { startSsoGateway } from '../helpers/sso-gateway.ts'

/** The fetch metadata of the gateway's own page sending the browser to logout. */
const SAME_ORIGIN = { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }

test('provider down: a 503 page and an audit line; discovery is tried again at the next sign-in', async (t) => {
  const gw = await startSsoGateway(t, { providerDown: true })
  await gw.waitForLog((l) => l.msg === 'identity provider discovery failed; retried at the next sign-in')
  const browser = new SsoBrowser()
  const down = await browser.request(gw.loginUrl('/orgs/1'))
  assert.equal(down.status, 503)
  assert.match(down.body, /^<!doctype html>/)
  assert.match(down.body, /The identity provider is unavailable; retry shortly/)
  assert.ok(!down.body.includes('ECONNREFUSED') && !down.body.includes('127.0.0.1'), 'no internals on the page')
  assert.ok(gw.logs.some((l) => l.audit === 'signin' && l.result === 'unavailable' && l.source === 'oidc'))
  assert.match(await (await fetch(`${gw.url}/gateway/metrics`)).text(), /influx_gateway_signins_total\{outcome="sso_unavailable"\} 0/,
    'a flow never started is not a sign-in attempt')

  await startOidcProvider(t, { redirectUrl: gw.callbackUrl, port: gw.provider.port })
  const back = await browser.request(await browser.signInAtProvider(gw.loginUrl('/orgs/1'), 'alice', gw.callbackUrl), { headers: FROM_PROVIDER })
  assert.equal(back.location, `${gw.url}/orgs/1`)
})

test('provider gone between the redirect and the return: the code exchange gets a 503 page', async (t) => {
  const gw = await startSsoGateway(t)
  const browser = new SsoBrowser()
  const callback = await browser.signInAtProvider(gw.loginUrl(), 'alice', gw.callbackUrl)
  await gw.provider.stop()
  const hop = await browser.request(callback)
  assert.equal(hop.status, 503, hop.body)
  assert.match(hop.body, /identity provider is unavailable/)
  assert.match(await (await fetch(`${gw.url}/gateway/metrics`)).text(), /influx_gateway_signins_total\{outcome="sso_unavailable"\} 1/)
})

test('metadata naming another issuer (mix-up) is not used: no redirect to its endpoints, a 503 page', async (t) => {
  const gw = await startSsoGateway(t, { providerDown: true })
  const evil = 'http://127.0.0.1:9'
  const server = http.createServer((req, res) => {
    const metadata = { issuer: evil, authorization_endpoint: `${evil}/auth`, token_endpoint: `${evil}/token`, jwks_uri: `${evil}/jwks` }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(metadata))
  })
  await new Promise<void>((resolve) => server.listen(gw.provider.port, '127.0.0.1', resolve))
  t.after(() => { server.closeAllConnections(); server.close() })
  const hop = await new SsoBrowser().request(gw.loginUrl())
  assert.equal(hop.status, 503, hop.body)
  assert.equal(hop.location, undefined)
  assert.ok(!hop.body.includes(evil))
  const failed = gw.logs.filter((l) => l.msg === 'identity provider discovery failed; retried at the next sign-in').at(-1)
  assert.match(JSON.stringify(failed?.err), /issuer/, 'refused for the issuer, not for being down')
})

test('logout with the provider unreachable: the page says the gateway session ended, and it has', async (t) => {
  const gw = await startSsoGateway(t)
  const browser = new SsoBrowser()
  await browser.request(await browser.signInAtProvider(gw.loginUrl(), 'alice', gw.callbackUrl), { headers: FROM_PROVIDER })
  const session = browser.cookies.get('influxdb-oss-session') ?? ''
  assert.equal((await browser.request(`${gw.url}/api/v2/me`)).status, 200)
  await gw.provider.stop()
  // A reload rebuilds the relying party, which has to discover the provider again: now it cannot.
  const config = gw.deps.config
  await gw.deps.applyConfig({ ...config, oidc: { ...(config.oidc as NonNullable<typeof config.oidc>), timeout: 1000 } })
  await gw.waitForLog((l) => l.msg === 'identity provider discovery failed; retried at the next sign-in')

  const out = await browser.request(`${gw.url}/gateway/oidc/logout`, { headers: SAME_ORIGIN })
  assert.equal(out.status, 503, out.body)
  assert.match(out.body, /<title>Signed out of the gateway<\/title>/)
  assert.match(out.body, /You are signed out of the gateway; the identity provider could not be reached to end your session there/)
  assert.ok(!out.body.includes('Sign-in unavailable') && !out.body.includes('ECONNREFUSED'), 'neither a sign-in failure nor internals')
  assert.equal(out.headers['retry-after'], '5')
  assert.equal(browser.cookies.has('influxdb-oss-session'), false, 'the session cookie is cleared')
  const old = await fetch(`${gw.url}/gateway/session`, { headers: { cookie: `influxdb-oss-session=${session}` } })
  assert.equal(old.status, 401, 'the session is ended in the store, not only forgotten by the browser')
  assert.ok(gw.logs.some((l) => l.audit === 'signout' && l.user === 'alice' && l.source === 'oidc'))
})
