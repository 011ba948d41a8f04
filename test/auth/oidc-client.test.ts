import assert from 'node:assert/strict'
import { createPrivateKey, sign, type JsonWebKey } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { createOidcClient } from '../../src/auth/oidc-client.ts'
import type { OidcConfig } from '../../src/config/oidc-schema.ts'
import { GatewayError } from '../../src/errors.ts'
import { signingKey, startOidcProvider, type OidcProviderOptions } from '../helpers/oidc-provider.ts'
import { SsoBrowser } from '../helpers/sso-browser.ts'

const CALLBACK = 'http://127.0.0.1:1/gateway/oidc/callback'

function config (issuer: string, extra: Partial<OidcConfig> = {}): OidcConfig {
  return {
    issuer,
    clientId: 'influx-gateway',
    clientSecret: 'oidc-client-secret-0123456789abcdef',
    redirectUrl: CALLBACK,
    scopes: ['openid'],
    usernameClaim: 'preferred_username',
    groupsClaim: 'groups',
    uiSignin: false,
    allowHttpIssuer: false,
    flowTimeout: 600_000,
    maxPendingFlowsPerClient: 20,
    timeout: 2000,
    logoutTokenMaxAge: 120_000,
    ...extra
  }
}

test('an http:// issuer is refused at discovery too, before anything is sent to it, unless allowed', async (t) => {
  let requests = 0
  const server = http.createServer((_req, res) => { requests++; res.writeHead(404).end() })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const failures: unknown[] = []
  const client = createOidcClient({ config: config(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), onDiscoveryFailure: (e) => failures.push(e) })
  await assert.rejects(client.begin(), (err: unknown) => err instanceof GatewayError && err.kind === 'ssoUnavailable' && err.status === 503)
  assert.equal(requests, 0)
  assert.match(String((failures[0] as GatewayError).cause), /http:\/\/ issuer refused/)
})

test('allowed, against a real provider: an authorization URL with state, nonce and an S256 challenge, and a logout URL', async (t) => {
  const provider = await startOidcProvider(t, { redirectUrl: 'http://127.0.0.1:1/gateway/oidc/callback' })
  const client = createOidcClient({ config: config(provider.issuer, { allowHttpIssuer: true, postLogoutRedirectUrl: 'http://127.0.0.1:1/bye' }) })
  await client.warmUp()
  const a = await client.begin()
  const b = await client.begin()
  assert.equal(a.url.searchParams.get('state'), a.state)
  assert.equal(a.url.searchParams.get('nonce'), a.nonce)
  assert.equal(a.url.searchParams.get('code_challenge_method'), 'S256')
  assert.notEqual(a.url.searchParams.get('code_challenge'), a.verifier, 'the verifier itself never leaves')
  assert.notEqual(a.state, b.state)
  assert.notEqual(a.nonce, b.nonce)
  const logout = await client.logoutUrl()
  assert.equal(logout?.searchParams.get('post_logout_redirect_uri'), 'http://127.0.0.1:1/bye')
})

test('a provider without end_session_endpoint offers no logout URL', async (t) => {
  const provider = await startOidcProvider(t, { redirectUrl: 'http://127.0.0.1:1/gateway/oidc/callback', logout: false })
  const client = createOidcClient({ config: config(provider.issuer, { allowHttpIssuer: true }) })
  assert.equal(await client.logoutUrl(), undefined)
})

/** A relying party on a real provider, and a flow begun with it and signed in as alice: the callback URL and what it must match. */
async function signedInFlow (t: { after: (fn: () => unknown) => void }, provider: Omit<OidcProviderOptions, 'redirectUrl'> = {}) {
  const started = await startOidcProvider(t as never, { ...provider, redirectUrl: CALLBACK })
  const client = createOidcClient({ config: config(started.issuer, { allowHttpIssuer: true, scopes: ['openid', 'profile', 'groups'] }) })
  const flow = await client.begin()
  const callback = new URL(await new SsoBrowser().signInAt(flow.url.href, 'alice', CALLBACK))
  return { client, callback, checks: { state: flow.state, nonce: flow.nonce, verifier: flow.verifier } }
}

/** Rejects with `ssoRefused`, openid-client's error and its cause (what the audit line shows) matching `reason`. */
async function assertRefused (finish: Promise<unknown>, reason: RegExp): Promise<void> {
  await assert.rejects(finish, (err: unknown) => {
    assert.ok(err instanceof GatewayError, String(err))
    assert.equal(err.kind, 'ssoRefused')
    assert.equal(err.status, 400)
    const cause = err.cause as Error
    assert.match(`${cause.message}: ${String((cause.cause as Error | undefined)?.message)}`, reason)
    return true
  })
}

test('finish: a return whose state is not the flow\'s is refused before the code is spent', async (t) => {
  const { client, callback, checks } = await signedInFlow(t)
  await assertRefused(client.finish(callback, { ...checks, state: `${checks.state}x` }), /state/)
  const forged = new URL(callback)
  forged.searchParams.set('state', `${checks.state}x`)
  await assertRefused(client.finish(forged, checks), /state/)
  const claims = await client.finish(callback, checks)
  assert.equal(claims.preferred_username, 'alice', 'the code was not used up by the refused returns')
})

test('finish: an ID token whose nonce is not the flow\'s is refused', async (t) => {
  const { client, callback, checks } = await signedInFlow(t)
  await assertRefused(client.finish(callback, { ...checks, nonce: `${checks.nonce}x` }), /nonce/)
})

test('finish: an ID token re-signed in transit by a key outside the provider\'s JWKS is refused, even from the token endpoint', async (t) => {
  // A man in the middle on the token request keeps the provider's kid and claims, names itself an admin,
  // and signs with its own key: without the JWKS check, TLS alone would vouch for the token (none here).
  const attacker = signingKey('test-key')
  const { client, callback, checks } = await signedInFlow(t, {
    idTokenInTransit: (idToken) => resigned(idToken, attacker, { preferred_username: 'admin', groups: ['influx-admins'] })
  })
  await assertRefused(client.finish(callback, checks), /signature/)
})

/** `idToken` with `claims` merged into its payload, signed RS256 by `key` under the original header. */
function resigned (idToken: string, key: JsonWebKey, claims: Record<string, unknown>): string {
  const [header = '', payload = ''] = idToken.split('.')
  const merged = { ...JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>, ...claims }
  const input = `${header}.${Buffer.from(JSON.stringify(merged)).toString('base64url')}`
  const signature = sign('sha256', Buffer.from(input), createPrivateKey({ key, format: 'jwk' }))
  return `${input}.${signature.toString('base64url')}`
}
