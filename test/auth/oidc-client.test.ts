import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { createOidcClient } from '../../src/auth/oidc-client.ts'
import type { OidcConfig } from '../../src/config/oidc-schema.ts'
import { GatewayError } from '../../src/errors.ts'
import { startOidcProvider } from '../helpers/oidc-provider.ts'

function config (issuer: string, extra: Partial<OidcConfig> = {}): OidcConfig {
  return {
    issuer,
    clientId: 'influx-gateway',
    clientSecret: 'oidc-client-secret-0123456789abcdef',
    redirectUrl: 'http://127.0.0.1:1/gateway/oidc/callback',
    scopes: ['openid'],
    usernameClaim: 'preferred_username',
    groupsClaim: 'groups',
    uiSignin: false,
    allowHttpIssuer: false,
    flowTimeout: 600_000,
    maxPendingFlowsPerClient: 20,
    timeout: 2000,
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
