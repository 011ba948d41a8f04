/**
 * What write access to the Redis the replicas share no longer gives: a session record written or copied
 * there by anyone but the gateway is no session. Against a real redis-server, through the whole gateway.
 */
import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { Redis } from 'ioredis'
import { hashSessionId, newSessionId } from '../../src/session/session-id.ts'
import { requireBinary } from '../helpers/binaries.ts'
import { ALICE, fetchRefused, signIn, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { parsePrometheus, sampleValue } from '../helpers/prometheus.ts'
import { startRedis, type RedisServer } from '../helpers/redis-server.ts'
import { recordSecret } from '../helpers/secret-ledger.ts'
import { READERS_TOKEN, startSsoGateway } from '../helpers/sso-gateway.ts'

const REDIS = requireBinary('redis-server', 'redis-server', 'Redis session store')
const skip = REDIS === undefined ? 'redis-server not installed' : false

const BOB = { name: 'bob', password: 'bob has another password', token: 'bob-token' }

/** A real redis-server and a raw client on it, both closed after the test. */
async function redisWithClient (t: TestContext): Promise<{ redis: RedisServer, client: Redis }> {
  const redis = await startRedis(REDIS as string)
  t.after(() => redis.stop())
  const client = new Redis(redis.url)
  t.after(() => client.quit())
  return { redis, client }
}

const sessionKey = (id: string): string => `influx-gateway:session:${hashSessionId(id)}`
const idOf = (cookie: string): string => cookie.split('=')[1] as string

async function rejected (gw: TestGateway): Promise<number | undefined> {
  const text = await (await fetch(`${gw.url}/gateway/metrics`)).text()
  return sampleValue(parsePrometheus(text), 'influx_gateway_session_records_rejected_total', { kind: 'session' })
}

test('a record written into Redis under an id of the attacker\'s choosing is no session', { skip }, async (t) => {
  const { redis, client } = await redisWithClient(t)
  // cacheTime 0s: every request reads Redis, as a replica that never saw the session does.
  const gw = await startSsoGateway(t, { providerDown: true, gateway: { config: { session: { store: 'redis', redis: { url: redis.url, cacheTime: '0s' } } } } })
  const id = newSessionId()
  recordSecret(id, 'session-cookie')
  const at = Date.now()
  // An identity-provider user of the attacker's naming, with the group the access rule grants a token to,
  // its groups "checked" far in the future (never asked again), in the shape the gateway writes.
  const forged = { u: 'admin', o: 'oidc', g: ['influx-readers'], c: at, a: at + 3_600_000, k: at + 86_400_000, i: 3_600_000, l: at }
  await client.set(sessionKey(id), JSON.stringify(forged), 'PX', 3_600_000)
  await fetchRefused(gw, '/api/v2/buckets', { headers: { cookie: `influxdb-oss-session=${id}` } }, 401, 'the forged session')
  assert.equal(gw.influx.requests.filter((r) => r.headers.authorization === `Token ${READERS_TOKEN}`).length, 0)
  assert.equal(await rejected(gw), 1, 'counted as a rejected record')
})

test('a record copied onto another session\'s key does not hand over its user\'s credential', { skip }, async (t) => {
  const { redis, client } = await redisWithClient(t)
  const gw = await startGateway(t, {
    users: [ALICE, BOB],
    influx: { tokens: [ALICE.token as string, BOB.token] },
    config: { session: { store: 'redis', redis: { url: redis.url, cacheTime: '0s' } } }
  })
  const alice = await signIn(gw, ALICE.name, ALICE.password)
  const bob = await signIn(gw, BOB.name, BOB.password)
  const aliceRecord = await client.get(sessionKey(idOf(alice)))
  assert.ok(aliceRecord !== null)
  await client.set(sessionKey(idOf(bob)), aliceRecord, 'PX', 3_600_000)
  await fetchRefused(gw, '/api/v2/buckets', { headers: { cookie: bob } }, 401, 'bob\'s cookie over alice\'s record')
  assert.ok(!gw.influx.requests.some((r) => r.headers.authorization === `Token ${ALICE.token as string}`), 'alice\'s token never went upstream')
  assert.equal((await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie: alice } })).status, 200, 'alice\'s own session lives on')
  assert.equal(await rejected(gw), 1)
})

test('PERSIST on a session\'s key keeps nothing alive: the gateway ends it by its own clock', { skip }, async (t) => {
  const { redis, client } = await redisWithClient(t)
  let now = Date.now()
  const gw = await startGateway(t, { now: () => now, config: { session: { store: 'redis', idleTimeout: '10m', redis: { url: redis.url, cacheTime: '0s' } } } })
  const cookie = await signIn(gw)
  assert.equal(await client.persist(sessionKey(idOf(cookie))), 1)
  now += 5 * 60_000
  assert.equal((await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })).status, 200, 'used within its idle timeout')
  now += 11 * 60_000
  await fetchRefused(gw, '/api/v2/buckets', { headers: { cookie } }, 401, 'idle past its timeout')
  assert.equal(await client.exists(sessionKey(idOf(cookie))), 0, 'and the record is gone')
})
