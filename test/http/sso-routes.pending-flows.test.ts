/**
 * Anonymous logins from one address cannot lock everyone out of single sign-on: each client address
 * (the one `server.trustProxy` makes it) has at most `oidc.maxPendingFlowsPerClient` flows pending; past
 * it that address gets a 429 page while others still sign in, well below the process-wide bound.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { createExpirySweeper } from '../../src/session/expiry-sweeper.ts'
import { createMemoryRedisClient } from '../../src/session/memory-redis-client.ts'
import { createRecordSigner } from '../../src/session/record-signer.ts'
import { createSignInFlowStore } from '../../src/session/sign-in-flow-store.ts'
import { PROXY_ADDRESS } from '../helpers/peer.ts'
import { FROM_PROVIDER, SsoBrowser } from '../helpers/sso-browser.ts'
import { startSsoGateway, type SsoGateway } from '../helpers/sso-gateway.ts'

/** Statuses of `n` anonymous login GETs by `browser` (a fresh cookie jar each time: as a script sends them). */
async function logins (gw: SsoGateway, n: number, opts: ConstructorParameters<typeof SsoBrowser>[0] = {}): Promise<number[]> {
  const statuses: number[] = []
  for (let i = 0; i < n; i++) statuses.push((await new SsoBrowser(opts).request(gw.loginUrl())).status)
  return statuses
}

/** The process-wide bound of pending flows, scaled down from its 10 000 to keep the test short. */
function boundProcessWide (t: { after: (fn: () => unknown) => void }, gw: SsoGateway, maxFlows: number): void {
  const client = createMemoryRedisClient()
  const sweeper = createExpirySweeper({ client, now: Date.now })
  t.after(async () => { sweeper.close(); await client.quit() })
  gw.deps.replace({ signInFlows: createSignInFlowStore({ client, keyPrefix: 'gw:', now: Date.now, signer: createRecordSigner({ key: randomBytes(32) }), sweeper, maxFlows }) })
}

test('one address looping over the login route gets a 429 page past 20 pending flows; another address still signs in', async (t) => {
  const gw = await startSsoGateway(t)
  boundProcessWide(t, gw, 25)
  const statuses = await logins(gw, 30)
  assert.deepEqual(statuses, [...Array(20).fill(302), ...Array(10).fill(429)])

  const refused = await new SsoBrowser().request(gw.loginUrl('/orgs/1'))
  assert.equal(refused.status, 429)
  assert.match(refused.body, /^<!doctype html>/)
  assert.match(refused.body, /<title>Too many sign-ins<\/title>/)
  assert.match(refused.body, /Too many sign-ins were started from your address and not finished; finish one, or retry later/)
  const retryAfter = Number(refused.headers['retry-after'])
  assert.ok(retryAfter >= 1 && retryAfter <= 600, `Retry-After: until the address's oldest flow ends (${retryAfter} s)`)
  assert.deepEqual(refused.setCookies, [], 'no flow cookie for a flow not started')
  assert.equal(refused.location, undefined)
  const audit = gw.logs.filter((l) => l.audit === 'signin' && l.result === 'throttled').at(-1)
  assert.equal(audit?.ip, '127.0.0.1')
  assert.equal(audit?.source, 'oidc')

  const other = new SsoBrowser({ localAddress: PROXY_ADDRESS })
  const back = await other.request(await other.signInAtProvider(gw.loginUrl('/orgs/2'), 'alice', gw.callbackUrl), { headers: FROM_PROVIDER })
  assert.equal(back.status, 302, back.body)
  assert.equal(back.location, `${gw.url}/orgs/2`)
})

test('a finished flow gives its address its place back', async (t) => {
  const gw = await startSsoGateway(t, { oidc: { maxPendingFlowsPerClient: 2 } })
  const browser = new SsoBrowser()
  const callback = await browser.signInAtProvider(gw.loginUrl(), 'alice', gw.callbackUrl)
  assert.deepEqual(await logins(gw, 2), [302, 429])
  assert.equal((await browser.request(callback, { headers: FROM_PROVIDER })).status, 302)
  assert.deepEqual(await logins(gw, 2), [302, 429])
})

test('behind a trusted proxy each forwarded client has its own share; an untrusted peer cannot spread itself with X-Forwarded-For', async (t) => {
  const gw = await startSsoGateway(t, { oidc: { maxPendingFlowsPerClient: 2 }, gateway: { config: { server: { trustProxy: ['127.0.0.1/32'] } } } })
  const forwarded = (ip: string): { headers: Record<string, string> } => ({ headers: { 'x-forwarded-for': ip } })
  assert.deepEqual(await logins(gw, 3, forwarded('203.0.113.7')), [302, 302, 429])
  assert.deepEqual(await logins(gw, 1, forwarded('203.0.113.8')), [302], 'another client behind the same proxy')
  assert.deepEqual(await logins(gw, 1, forwarded('2001:db8:0:1::1')), [302])
  assert.deepEqual(await logins(gw, 2, forwarded('2001:db8:0:1:ffff::2')), [302, 429], 'an IPv6 client counts per /64')
  const spoofing = await Promise.all(['198.51.100.1', '198.51.100.2', '198.51.100.3'].map(async (ip) =>
    await logins(gw, 1, { localAddress: PROXY_ADDRESS, ...forwarded(ip) })))
  assert.deepEqual(spoofing.flat().sort(), [302, 302, 429], 'from an untrusted peer, counted as that peer')
})

test('oidc.maxPendingFlowsPerClient applies on reload, to the next login', async (t) => {
  const gw = await startSsoGateway(t, { oidc: { maxPendingFlowsPerClient: 2 } })
  assert.deepEqual(await logins(gw, 1), [302])
  const config = gw.deps.config
  const oidc = config.oidc
  assert.ok(oidc !== undefined)
  await gw.deps.applyConfig({ ...config, oidc: { ...oidc, maxPendingFlowsPerClient: 1 } })
  assert.deepEqual(await logins(gw, 1), [429])
  await gw.deps.applyConfig({ ...config, oidc: { ...oidc, maxPendingFlowsPerClient: 3 } })
  assert.deepEqual(await logins(gw, 3), [302, 302, 429])
})
