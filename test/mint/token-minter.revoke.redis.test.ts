/**
 * Deleting minted tokens with the Redis store, against a real redis-server (src/mint/revoker.ts,
 * src/mint/orphan-sweep.ts, src/session/minted-index.ts): a request presenting a session Redis expired
 * deletes its token at once, not at the next sweep; and neither the revoker nor the sweep ever deletes an
 * authorization without this gateway's exact marker, whatever someone who can write to Redis puts there.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { hashSessionId, newSessionId } from '../../src/session/session-id.ts'
import { requireBinary } from '../helpers/binaries.ts'
import { createAuthorizationDirectly, OPERATOR_AUTH_ID } from '../helpers/fake-influx-tenancy.ts'
import { startFakeInflux } from '../helpers/fake-influx.ts'
import { signIn, startGateway, type TestGateway, type TestUser } from '../helpers/gateway.ts'
import { startRedis } from '../helpers/redis-server.ts'

const REDIS = requireBinary('redis-server', 'redis-server', 'Redis session store')
const skip = REDIS === undefined ? 'redis-server not installed' : false

const ALICE: TestUser = { name: 'alice', password: 'correct horse battery staple', mint: { org: 'my-org', permissions: ['read:buckets'] } }
const PREFIX = 'influx-gateway:'

test('a request presenting a session Redis expired deletes its token at once, not at the next sweep', { skip }, async (t) => {
  const redis = await startRedis(REDIS as string)
  t.after(() => redis.stop())
  const influx = await startFakeInflux()
  t.after(() => influx.close())
  // Two replicas; the periodic sweep (every 5 min) is far off, the one at start over before any token is old enough.
  const replica = async (): Promise<TestGateway> => await startGateway(t, {
    users: [ALICE], upstreamUrl: influx.url, operatorToken: influx.tenancy.operatorToken, config: { session: { store: 'redis', redis: { url: redis.url } } }
  })
  const [a, b] = [await replica(), await replica()]
  const cookie = await signIn(a)
  const [auth] = influx.tenancy.authorizations()
  assert.ok(auth !== undefined)
  const id = cookie.slice(cookie.indexOf('=') + 1)
  await redis.command('DEL', `${PREFIX}session:${hashSessionId(id)}`) // as Redis does when the idle timeout runs out
  assert.equal((await fetch(`${b.url}/api/v2/buckets`, { headers: { cookie } })).status, 401)
  await influx.waitForRequest((r) => r.method === 'DELETE' && r.path === `/api/v2/authorizations/${auth.id}`)
  await b.waitForLog((l) => l.result === 'revoked' && l.authorization === auth.id)
  assert.deepEqual(influx.tenancy.authorizations(), [])
  assert.equal((await fetch(`${b.url}/api/v2/buckets`, { headers: { cookie } })).status, 401)
  assert.equal(influx.count('/api/v2/authorizations/'), 2, 'one read, one delete: released once')
})

test('only this gateway\'s exact marker: the revoker and the sweep leave every near miss alone, whatever Redis says', { skip }, async (t) => {
  const redis = await startRedis(REDIS as string)
  t.after(() => redis.stop())
  const influx = await startFakeInflux()
  t.after(() => influx.close())
  const nearMisses = [
    'telegraf on host-1',
    'influx-gateway (other:) session AAAAAAAAAAAA of bob', // another gateway's, on the same InfluxDB
    'influx-gateway (memory) session AAAAAAAAAAAA of bob', // one with the in-process store
    'influx-gateway (influx-gateway) session AAAAAAAAAAAA of bob', // a namespace the prefix starts
    'copy of influx-gateway (influx-gateway:) session AAAAAAAAAAAA of bob', // the marker, not at the start
    'INFLUX-GATEWAY (influx-gateway:) session AAAAAAAAAAAA of bob'
  ]
  const foreign = [OPERATOR_AUTH_ID, ...await Promise.all(nearMisses.map(async (d) => await createAuthorizationDirectly(influx, d)))]
  const orphan = await createAuthorizationDirectly(influx, `influx-gateway (${PREFIX}) session CCCCCCCCCCCC of alice`)
  const gw = await startGateway(t, {
    users: [ALICE],
    upstreamUrl: influx.url,
    operatorToken: influx.tenancy.operatorToken,
    now: () => Date.now() + 10 * 60_000, // every authorization is past the sweep's grace
    config: { session: { store: 'redis', redis: { url: redis.url } } }
  })
  // The sweep at start: this gateway's orphan goes, nothing else; nor at a later sweep.
  await gw.waitForLog((l) => l.result === 'orphan' && l.authorization === orphan)
  assert.equal((await gw.waitForLog((l) => l.msg === 'orphaned minted tokens deleted')).swept, 1)
  assert.equal(await gw.deps.minter.sweep(async () => new Set()), 0)

  // Someone who writes to Redis points sessions (an index entry, no record) at each of them, then presents them.
  for (const authId of [...foreign, await createAuthorizationDirectly(influx, `influx-gateway (${PREFIX}) session DDDDDDDDDDDD of alice`)]) {
    const id = newSessionId()
    const key = `${PREFIX}session:${hashSessionId(id)}`
    await redis.command('SET', `${PREFIX}minted:${authId}`, key)
    await redis.command('SET', `${PREFIX}minted-by:${hashSessionId(id)}`, authId)
    const res = await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie: `influxdb-oss-session=${id}` } })
    assert.equal(res.status, 401)
    const line = await gw.waitForLog((l) => l.audit === 'token' && l.authorization === authId && l.result !== 'orphan')
    assert.equal(line.result, foreign.includes(authId) ? 'not revoked' : 'revoked', authId)
  }
  assert.deepEqual(influx.tenancy.authorizations().map((a) => a.id).sort(), foreign.filter((id) => id !== OPERATOR_AUTH_ID).sort())
  assert.ok(!influx.requests.some((r) => r.method === 'DELETE' && foreign.some((id) => r.path.endsWith(id))), 'no delete sent for any of them')
  assert.equal((await fetch(`${influx.url}/api/v2/buckets`, { headers: { authorization: `Token ${influx.tenancy.operatorToken}` } })).status, 200)
})
