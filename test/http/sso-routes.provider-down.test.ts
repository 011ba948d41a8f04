/**
 * A provider that is down when the gateway starts: the gateway starts anyway, a sign-in gets a readable
 * 503 page (audited), and once the provider is up the next sign-in discovers it and works.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startOidcProvider } from '../helpers/oidc-provider.ts'
import { FROM_PROVIDER, SsoBrowser } from '../helpers/sso-browser.ts'
import { startSsoGateway } from '../helpers/sso-gateway.ts'

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
