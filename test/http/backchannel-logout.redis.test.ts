/**
 * Back-channel logout with two replicas on a real Redis: the provider's logout token, answered by replica A,
 * ends the session on replica B too (within `session.redis.cacheTime`, by B's injected clock), and the
 * session's minted token is deleted in InfluxDB (the v2 double); a token used on A is refused on B (its jti).
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { importJWK, SignJWT } from 'jose'
import { startGateway, type StartGatewayOptions } from '../helpers/gateway.ts'
import { requireBinary } from '../helpers/binaries.ts'
import { startOidcProvider } from '../helpers/oidc-provider.ts'
import { logoutAtProvider, signedInBrowser } from '../helpers/provider-logout.ts'
import { freePort, startRedis } from '../helpers/redis-server.ts'
import { recordSecret } from '../helpers/secret-ledger.ts'
import type { SsoBrowser } from '../helpers/sso-browser.ts'

const REDIS = requireBinary('redis-server', 'redis-server', 'back-channel logout across replicas')
const CACHE_MS = 1000
const MINT = { org: 'my-org', permissions: ['read:buckets'] }
const EVENT = { 'http://schemas.openid.net/event/backchannel-logout': {} }

async function sessionStatus (url: string, browser: SsoBrowser): Promise<number> {
  return (await browser.request(`${url}/gateway/session`)).status
}

test('a logout answered by replica A ends the session on replica B within the cache bound; its minted token is deleted', {
  skip: REDIS === undefined ? 'redis-server not installed' : false
}, async (t) => {
  const redis = await startRedis(REDIS as string)
  t.after(() => redis.stop())
  const clock = { offsetMs: 0 }
  const now = (): number => Date.now() + clock.offsetMs
  const portA = await freePort()
  const callbackUrl = `http://127.0.0.1:${portA}/gateway/oidc/callback`
  const provider = await startOidcProvider(t, {
    redirectUrl: callbackUrl, backchannelLogoutUri: `http://127.0.0.1:${portA}/gateway/oidc/backchannel-logout`
  })
  // One configuration for both replicas, as behind one load balancer: the callback is A's address here.
  const shared: StartGatewayOptions = {
    users: [],
    now,
    oidc: {
      issuer: provider.issuer,
      clientId: provider.clientId,
      clientSecret: provider.clientSecret,
      redirectUrl: callbackUrl,
      scopes: ['openid', 'profile', 'email', 'groups'],
      allowHttpIssuer: true
    },
    access: [{ group: 'influx-readers', mint: MINT }]
  }
  const session = { store: 'redis', redis: { url: redis.url, cacheTime: `${CACHE_MS}ms` } }
  const a = await startGateway(t, { ...shared, config: { server: { port: portA }, session }, influx: { tenancy: { users: ['alice'] } } })
  const b = await startGateway(t, {
    ...shared, config: { session }, upstreamUrl: a.influx.url, operatorToken: a.influx.tenancy.operatorToken
  })
  const loginUrl = (returnTo = '/'): string => `${a.url}/gateway/oidc/login?returnTo=${encodeURIComponent(returnTo)}`

  const browser = await signedInBrowser({ loginUrl, callbackUrl })
  const [minted] = a.influx.tenancy.authorizations().filter((x) => x.token !== a.influx.tenancy.operatorToken)
  assert.ok(minted !== undefined, 'a token was minted for the session')
  assert.equal(await sessionStatus(a.url, browser), 200)
  assert.equal(await sessionStatus(b.url, browser), 200, 'replica B serves the session (and caches it)')

  await logoutAtProvider(provider, browser)
  await a.waitForLog((l) => l.audit === 'signout' && l.result === 'backchannel' && l.sessions === 1)
  assert.equal(await sessionStatus(a.url, browser), 401, 'ended on the replica that answered the provider')
  clock.offsetMs += CACHE_MS // B's cached copy is no longer believed: B asks Redis, which has it no more
  assert.equal(await sessionStatus(b.url, browser), 401, 'ended on the other replica within session.redis.cacheTime')

  await a.waitForLog((l) => l.audit === 'token' && l.result === 'revoked')
  assert.ok(!a.influx.tenancy.authorizations().some((x) => x.id === minted.id), 'the minted token is gone from InfluxDB')

  // A token used on A is a replay on B: the jti register is in the store both share.
  const again = await signedInBrowser({ loginUrl, callbackUrl })
  const token = await new SignJWT({ sub: 'alice', jti: randomUUID(), events: EVENT })
    .setProtectedHeader({ alg: 'RS256', kid: provider.signingKey.kid as string })
    .setIssuer(provider.issuer).setAudience(provider.clientId).setIssuedAt(Math.floor(now() / 1000))
    .sign(await importJWK(provider.signingKey as Parameters<typeof importJWK>[0], 'RS256'))
  recordSecret(token, 'logout-token')
  const post = async (url: string): Promise<Response> => await fetch(`${url}/gateway/oidc/backchannel-logout`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `logout_token=${token}`
  })
  assert.equal((await post(a.url)).status, 200)
  assert.equal(await sessionStatus(b.url, again), 401)
  const third = await signedInBrowser({ loginUrl, callbackUrl })
  const replay = await post(b.url)
  assert.equal(replay.status, 400)
  assert.match(((await replay.json()) as { error_description: string }).error_description, /already used/)
  assert.equal(await sessionStatus(b.url, third), 200, 'the replay on the other replica ended nothing')
})
