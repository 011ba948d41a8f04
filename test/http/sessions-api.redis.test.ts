/**
 * Ending sessions with two replicas on one real Redis: a session ended through replica A is refused by
 * replica B once B's in-process cache lets go of it (`session.redis.cacheTime`, on the injected clock: no
 * waiting), its minted token gone from InfluxDB at once; an auth-proxy identity's sign-out ends its implicit
 * sessions on every replica.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { requireBinary } from '../helpers/binaries.ts'
import { startFakeInflux, type FakeInflux } from '../helpers/fake-influx.ts'
import { signIn, startGateway, type TestGateway, type TestUser } from '../helpers/gateway.ts'
import { fetchFrom, PROXY_ADDRESS } from '../helpers/peer.ts'
import { startRedis } from '../helpers/redis-server.ts'

const REDIS = requireBinary('redis-server', 'redis-server', 'Redis session store')
const skip = REDIS === undefined ? 'redis-server not installed' : false

const MINT = { org: 'my-org', permissions: ['read:buckets'] }
const ALICE: TestUser = { name: 'alice', password: 'correct horse battery staple', mint: MINT }
const ADMIN_TOKEN = 'admin-api-token-0123456789abcdefghijklmnop'
const CACHE_MS = 1000

async function replicas (
  t: Parameters<typeof startGateway>[0], config: Record<string, Record<string, unknown>>, extra: Partial<Parameters<typeof startGateway>[1]> = {}
): Promise<{ a: TestGateway, b: TestGateway, influx: FakeInflux, clock: { t: number } }> {
  const redis = await startRedis(REDIS as string)
  t.after(() => redis.stop())
  const influx = await startFakeInflux({ tenancy: { users: ['alice', 'carol'], buckets: [] } })
  t.after(() => influx.close())
  const clock = { t: Date.now() }
  const replica = (): Promise<TestGateway> => startGateway(t, {
    users: [ALICE],
    upstreamUrl: influx.url,
    operatorToken: influx.tenancy.operatorToken,
    adminApiToken: ADMIN_TOKEN,
    now: () => clock.t,
    config: { ...config, upstream: { version: 2 }, session: { store: 'redis', redis: { url: redis.url, cacheTime: `${CACHE_MS}ms` } } },
    ...extra
  })
  return { a: await replica(), b: await replica(), influx, clock }
}

test('a session ended through replica A is refused by replica B within session.redis.cacheTime; its token is gone at once', { skip }, async (t) => {
  const { a, b, influx, clock } = await replicas(t, {})
  const cookie = await signIn(a)
  const seen = async (gw: TestGateway): Promise<number> => (await fetch(`${gw.url}/gateway/session`, { headers: { cookie } })).status
  assert.equal(await seen(b), 200, 'B knows the session (and caches it)')
  assert.equal(influx.tenancy.authorizations().length, 1)
  const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` }
  const listed = await (await fetch(`${b.url}/gateway/api/sessions?source=file&user=alice`, { headers: bearer })).json() as { sessions: Array<{ ref: string }> }
  const res = await fetch(`${a.url}/gateway/api/sessions/${listed.sessions[0]?.ref ?? ''}`, { method: 'DELETE', headers: bearer })
  assert.equal(res.status, 200)
  await a.waitForLog((l) => l.audit === 'token' && l.result === 'revoked')
  assert.deepEqual(influx.tenancy.authorizations(), [], 'the minted token is deleted in InfluxDB at once')
  assert.equal(await seen(a), 401, 'A refuses it at once')
  // The bound: B may believe its cached copy for at most cacheTime after it last read the store.
  clock.t += CACHE_MS
  assert.equal(await seen(b), 401, 'B refuses it once its cache time has passed')
  assert.equal((await fetch(`${b.url}/api/v2/buckets`, { headers: { cookie } })).status, 401)
})

test('an auth-proxy identity\'s sign-out ends its implicit sessions on every replica, and their tokens', { skip }, async (t) => {
  const authProxy = { userHeader: 'Remote-User', groupsHeader: 'Remote-Groups', trustedProxies: [`${PROXY_ADDRESS}/32`] }
  const { a, b, influx } = await replicas(t, { authProxy }, { access: [{ group: 'writers', mint: MINT }] })
  const proxy = fetchFrom(t, PROXY_ADDRESS)
  const carol = { 'remote-user': 'carol', 'remote-groups': 'writers' }
  for (const gw of [a, b]) assert.equal((await proxy(`${gw.url}/api/v2/buckets`, { headers: carol })).status, 200)
  assert.equal(influx.tenancy.authorizations().length, 2, 'one implicit session, and token, per replica')
  assert.equal((await proxy(`${a.url}/api/v2/signout`, { method: 'POST', headers: carol })).status, 204)
  const line = await a.waitForLog((l) => l.audit === 'signout' && l.result === 'proxy identity')
  assert.equal(line.sessions, 2)
  await a.waitForLog((l) => l.audit === 'token' && l.result === 'revoked' && a.logs.filter((m) => m.result === 'revoked').length === 2)
  assert.deepEqual(influx.tenancy.authorizations(), [], 'both replicas\' tokens are deleted')
})
