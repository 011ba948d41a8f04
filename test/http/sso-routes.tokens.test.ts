/**
 * The single sign-on callback against a real provider whose answer is attacked or late: an ID token for
 * another nonce, a code for another PKCE challenge, a token signed by a key the provider's JWKS does not
 * hold, an expired code, an expired flow; and claims that only userinfo carries.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mock, test } from 'node:test'
import { publicJwk, signingKey } from '../helpers/oidc-provider.ts'
import { FROM_PROVIDER, SsoBrowser } from '../helpers/sso-browser.ts'
import { READERS_TOKEN, startSsoGateway, type SsoGateway } from '../helpers/sso-gateway.ts'

/** The last refusal's audit line. */
function lastRefusal (gw: SsoGateway): Record<string, unknown> | undefined {
  return gw.logs.filter((l) => l.audit === 'signin' && l.source === 'oidc' && l.result === 'failure').at(-1)
}

function assertRefused (hop: { status: number, body: string, setCookies: string[] }, sentence: RegExp): void {
  assert.equal(hop.status, 400, hop.body)
  assert.match(hop.body, /^<!doctype html>/)
  assert.match(hop.body, sentence)
  assert.equal(hop.setCookies.some((c) => /^influxdb-oss-session=[^;]/.test(c)), false, 'no session')
}

test('an ID token minted for another nonce (an injected code) is refused', async (t) => {
  const gw = await startSsoGateway(t)
  const browser = new SsoBrowser()
  const callback = await browser.signInAtProvider(gw.loginUrl(), 'alice', gw.callbackUrl, (auth) => {
    auth.searchParams.set('nonce', randomBytes(32).toString('base64url'))
    return auth
  })
  assertRefused(await browser.request(callback), /failed verification/)
  assert.match(String(lastRefusal(gw)?.detail), /nonce/)
})

test('a code issued for another PKCE challenge is refused by the provider, and so by the gateway', async (t) => {
  const gw = await startSsoGateway(t)
  const browser = new SsoBrowser()
  const callback = await browser.signInAtProvider(gw.loginUrl(), 'alice', gw.callbackUrl, (auth) => {
    auth.searchParams.set('code_challenge', createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url'))
    return auth
  })
  assertRefused(await browser.request(callback), /refused the sign-in \(invalid_grant\)/)
})

test('an ID token signed by a key the provider\'s JWKS does not hold is refused', async (t) => {
  // The provider signs with its own key; its JWKS endpoint serves another key under the same kid.
  const gw = await startSsoGateway(t, { provider: { jwksOverride: { keys: [publicJwk(signingKey('test-key'))] } } })
  const browser = new SsoBrowser()
  const callback = await browser.signInAtProvider(gw.loginUrl(), 'alice', gw.callbackUrl)
  assertRefused(await browser.request(callback), /failed verification/)
  assert.match(String(lastRefusal(gw)?.detail), /signature/i)
})

test('an expired authorization code, and an expired flow, are refused', async (t) => {
  mock.timers.enable({ apis: ['Date'], now: Date.now() })
  t.after(() => mock.timers.reset())
  const gw = await startSsoGateway(t, { oidc: { flowTimeout: '5m' } })
  const browser = new SsoBrowser()
  const callback = await browser.signInAtProvider(gw.loginUrl(), 'alice', gw.callbackUrl)
  mock.timers.tick(2 * 60_000) // the provider's codes live one minute
  assertRefused(await browser.request(callback), /refused the sign-in \(invalid_grant\)/)

  const late = await browser.signInAtProvider(gw.loginUrl(), 'alice', gw.callbackUrl)
  mock.timers.tick(5 * 60_000)
  assertRefused(await browser.request(late), /expired/)
  assert.equal(lastRefusal(gw)?.detail, 'flow expired or already used')
})

test('groups and name that only userinfo carries are read from there', async (t) => {
  const gw = await startSsoGateway(t, { provider: { claimsInUserinfoOnly: true } })
  const browser = new SsoBrowser()
  const back = await browser.request(await browser.signInAtProvider(gw.loginUrl(), 'alice', gw.callbackUrl), { headers: FROM_PROVIDER })
  assert.equal(back.status, 302, back.body)
  assert.equal((await browser.request(`${gw.url}/api/v2/me`)).status, 200)
  assert.equal(gw.influx.requests.at(-1)?.headers.authorization, `Token ${READERS_TOKEN}`)
})

test('a usernameClaim the provider does not send is refused with a page naming the claim', async (t) => {
  const gw = await startSsoGateway(t, { oidc: { usernameClaim: 'upn' } })
  const browser = new SsoBrowser()
  const hop = await browser.request(await browser.signInAtProvider(gw.loginUrl(), 'alice', gw.callbackUrl))
  assertRefused(hop, /no usable &quot;upn&quot; claim/)
})
