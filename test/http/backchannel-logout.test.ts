/**
 * Back-channel logout (OpenID Connect Back-Channel Logout 1.0) against a real provider (oidc-provider 8,
 * its `backchannelLogout` feature, the gateway's URL registered for the client): the provider's own logout
 * ends the gateway session; a replayed, unsigned, wrongly-signed, wrong-audience, expired or nonce-carrying
 * logout token is refused with 400 and ends nothing.
 */
import assert from 'node:assert/strict'
import { randomUUID, type JsonWebKey } from 'node:crypto'
import { test, type TestContext } from 'node:test'
import { importJWK, SignJWT, UnsecuredJWT, type JWTPayload } from 'jose'
import { startGateway } from '../helpers/gateway.ts'
import { signingKey } from '../helpers/oidc-provider.ts'
import { recordSecret } from '../helpers/secret-ledger.ts'
import { logoutAtProvider, signedInBrowser } from '../helpers/provider-logout.ts'
import type { SsoBrowser } from '../helpers/sso-browser.ts'
import { startSsoGateway, type SsoGateway } from '../helpers/sso-gateway.ts'

const EVENT = { 'http://schemas.openid.net/event/backchannel-logout': {} }

/** The gateway's clock: real time plus what a test moves it by. */
interface Clock { offsetMs: number, now: () => number }

function clock (): Clock {
  const c: Clock = { offsetMs: 0, now: () => Date.now() + c.offsetMs }
  return c
}

async function start (t: TestContext, c: Clock): Promise<SsoGateway> {
  return await startSsoGateway(t, { backchannelLogout: true, gateway: { now: c.now } })
}

const signedIn = signedInBrowser

/** The status of the browser's next request through the gateway: 200 while its session lives, then 401. */
async function sessionStatus (gw: SsoGateway, browser: SsoBrowser): Promise<number> {
  return (await browser.request(`${gw.url}/gateway/session`)).status
}

/** What a logout token of the provider's for alice says, `iat` by the gateway's clock; `claims` override or add. */
function aliceClaims (gw: SsoGateway, c: Clock, claims: JWTPayload = {}): JWTPayload {
  return {
    iss: gw.provider.issuer, aud: gw.provider.clientId, iat: Math.floor(c.now() / 1000), jti: randomUUID(), sub: 'alice', events: EVENT, ...claims
  }
}

/** A logout token signed RS256 with `key` (default: the provider's own). */
async function signed (gw: SsoGateway, payload: JWTPayload, key: JsonWebKey = gw.provider.signingKey): Promise<string> {
  const token = await new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: key.kid as string, typ: 'logout+jwt' })
    .sign(await importJWK(key as Parameters<typeof importJWK>[0], 'RS256'))
  recordSecret(token, 'logout-token')
  return token
}

async function postLogout (gw: SsoGateway, token: string): Promise<Response> {
  return await fetch(`${gw.url}/gateway/oidc/backchannel-logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ logout_token: token }).toString()
  })
}

/** A refusal as the spec says: 400, an OAuth `invalid_request` body, not cached; the session still lives. */
async function assertRefused (gw: SsoGateway, browser: SsoBrowser, token: string, reason: RegExp): Promise<void> {
  const before = gw.logs.length
  const res = await postLogout(gw, token)
  const body = await res.json() as { error?: string, error_description?: string }
  assert.equal(res.status, 400, JSON.stringify(body))
  assert.equal(body.error, 'invalid_request')
  assert.match(body.error_description ?? '', reason)
  assert.equal(res.headers.get('cache-control'), 'no-store')
  assert.equal(await sessionStatus(gw, browser), 200, 'the session was not ended')
  const lines = gw.logs.slice(before)
  assert.ok(lines.some((l) => l.audit === 'signout' && l.result === 'refused' && reason.test(String(l.reason))), 'the refusal is audited')
  assert.ok(!lines.some((l) => l.audit === 'session' && l.reason === 'backchannel logout'), 'nothing ended')
  assert.ok(token === '' || !gw.logText().includes(token), 'the token is never logged')
}

test('the provider\'s own logout ends the gateway session: its cookie\'s next request is 401', async (t) => {
  const c = clock()
  const gw = await start(t, c)
  const browser = await signedIn(gw)
  const other = await signedIn(gw) // the same person in another browser: another provider session, another sid
  assert.equal(await sessionStatus(gw, browser), 200)
  await logoutAtProvider(gw.provider, browser)
  assert.equal(await sessionStatus(gw, browser), 401, 'the session ended at the provider\'s word')
  assert.equal(await sessionStatus(gw, other), 200, 'the other provider session\'s gateway session stays')
  const line = gw.logs.find((l) => l.audit === 'signout' && l.result === 'backchannel')
  assert.deepEqual({ scope: line?.scope, sessions: line?.sessions }, { scope: 'one', sessions: 1 }, 'by sid: one provider session')
  assert.ok(gw.logs.some((l) => l.audit === 'session' && l.reason === 'backchannel logout' && l.user === 'alice'))
  const metrics = await (await fetch(`${gw.url}/gateway/metrics`)).text()
  assert.match(metrics, /influx_gateway_sessions_ended_total\{by="backchannel",scope="one"\} 1\b/)
})

test('a logout token that passes every check ends the subject\'s sessions: 200, not cached, no cookie needed', async (t) => {
  const c = clock()
  const gw = await start(t, c)
  const browser = await signedIn(gw)
  const res = await postLogout(gw, await signed(gw, aliceClaims(gw, c)))
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('cache-control'), 'no-store')
  assert.equal(await sessionStatus(gw, browser), 401)
  const none = await postLogout(gw, await signed(gw, aliceClaims(gw, c)))
  assert.equal(none.status, 200, 'no session left to end is still a success')
})

test('refused with 400, ending nothing: each way a logout token can be wrong', async (t) => {
  const c = clock()
  const gw = await start(t, c)
  const browser = await signedIn(gw)

  await t.test('unsigned (alg none)', async () => {
    const token = new UnsecuredJWT(aliceClaims(gw, c)).encode()
    await assertRefused(gw, browser, token, /logout token refused/)
  })
  await t.test('signed by a key the provider does not publish', async () => {
    const impostor = signingKey(gw.provider.signingKey.kid as string) // the provider's kid, another key
    await assertRefused(gw, browser, await signed(gw, aliceClaims(gw, c), impostor), /signature verification failed/)
  })
  await t.test('for another client (aud)', async () => {
    await assertRefused(gw, browser, await signed(gw, aliceClaims(gw, c, { aud: 'another-client' })), /"aud"/)
  })
  await t.test('expired: issued longer ago than oidc.logoutTokenMaxAge by the gateway\'s clock', async () => {
    const token = await signed(gw, aliceClaims(gw, c))
    c.offsetMs += 120_000 + 30_000 + 1000 // the default 2m, past the 30 s leeway for the provider's clock
    try {
      await assertRefused(gw, browser, token, /"iat"/)
    } finally {
      c.offsetMs = 0
    }
  })
  await t.test('carrying a nonce (an ID token passed off as a logout token)', async () => {
    await assertRefused(gw, browser, await signed(gw, aliceClaims(gw, c, { nonce: 'n-0S6_WzA2Mj' })), /nonce/)
  })
  await t.test('without the back-channel logout event, or with it as no object', async () => {
    await assertRefused(gw, browser, await signed(gw, aliceClaims(gw, c, { events: undefined })), /event/)
    await assertRefused(gw, browser, await signed(gw, aliceClaims(gw, c, { events: { [Object.keys(EVENT)[0] as string]: 'yes' } })), /event/)
  })
  await t.test('naming neither sid nor sub', async () => {
    await assertRefused(gw, browser, await signed(gw, aliceClaims(gw, c, { sub: undefined })), /neither sid nor sub/)
  })
  await t.test('from another issuer', async () => {
    await assertRefused(gw, browser, await signed(gw, aliceClaims(gw, c, { iss: 'http://127.0.0.1:1' })), /"iss"/)
  })
  await t.test('no form, or no logout_token in it', async () => {
    const json = await fetch(`${gw.url}/gateway/oidc/backchannel-logout`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}'
    })
    assert.equal(json.status, 400)
    assert.equal((await json.json() as { error: string }).error, 'invalid_request')
    await assertRefused(gw, browser, '', /one logout_token/)
  })
  await t.test('a body over the bound: 413, in the same dialect', async () => {
    const res = await postLogout(gw, 'x'.repeat(20_000))
    assert.equal(res.status, 413)
    assert.equal((await res.json() as { error: string }).error, 'invalid_request')
    assert.equal(await sessionStatus(gw, browser), 200)
  })
  await t.test('only POST', async () => {
    const res = await fetch(`${gw.url}/gateway/oidc/backchannel-logout`)
    assert.equal(res.status, 405)
    assert.equal(res.headers.get('allow'), 'POST')
  })
  // Last: its first, valid use ends every session of alice, the one above included.
  await t.test('replayed: the same jti a second time', async () => {
    const token = await signed(gw, aliceClaims(gw, c))
    assert.equal((await postLogout(gw, token)).status, 200)
    assert.equal(await sessionStatus(gw, browser), 401)
    const again = await signedIn(gw)
    await assertRefused(gw, again, token, /already used/)
  })
})

test('without oidc: the route is not served', async (t) => {
  const gw = await startGateway(t)
  const res = await fetch(`${gw.url}/gateway/oidc/backchannel-logout`, { method: 'POST', body: 'logout_token=x' })
  assert.equal(res.status, 404)
})

test('the provider unreachable (its metadata or keys): 503 temporarily_unavailable in the OAuth dialect, not cached', async (t) => {
  const gw = await startSsoGateway(t, { providerDown: true, backchannelLogout: true })
  const res = await postLogout(gw, 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln')
  assert.equal(res.status, 503)
  assert.equal(res.headers.get('cache-control'), 'no-store')
  assert.equal((await res.json() as { error: string }).error, 'temporarily_unavailable')
})
