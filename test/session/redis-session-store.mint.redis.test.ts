/**
 * Minted tokens with the Redis store, against a real redis-server: the token is sealed in the session record
 * under a key only the session id gives (src/mint/sealed-token.ts), so a dump of every key yields no usable
 * InfluxDB token in any form; another replica, which never saw the token, unseals it from the cookie; sessions
 * Redis loses silently have their tokens deleted by the periodic sweep. Someone who can write to Redis cannot
 * make the gateway delete an authorization it did not mint.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { hashSessionId, newSessionId } from '../../src/session/session-id.ts'
import { requireBinary } from '../helpers/binaries.ts'
import { signIn, startGateway, type TestGateway, type TestUser } from '../helpers/gateway.ts'
import { startFakeInflux } from '../helpers/fake-influx.ts'
import { startRedis } from '../helpers/redis-server.ts'
import { parsePrometheus, sampleValue } from '../helpers/prometheus.ts'

const REDIS = requireBinary('redis-server', 'redis-server', 'Redis session store')
const skip = REDIS === undefined ? 'redis-server not installed' : false

const ALICE: TestUser = { name: 'alice', password: 'correct horse battery staple', mint: { org: 'my-org', permissions: ['read:buckets'] } }

/** Every form a token could be stored in. */
function forms (token: string): string[] {
  const bytes = Buffer.from(token)
  return [token, bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex'), JSON.stringify(token).slice(1, -1), encodeURIComponent(token),
    token.replace(/=+$/, ''), Buffer.from(token.replace(/=+$/, ''), 'base64url').toString('hex')]
}

/** Every key's every value, as Redis would hand them to someone who dumped it, raw bytes included. */
async function dumpAll (client: Redis): Promise<Buffer> {
  const parts: Buffer[] = []
  for (const key of await client.keys('*')) {
    parts.push(Buffer.from(key))
    const type = await client.type(key)
    if (type === 'string') parts.push(await client.getBuffer(key) ?? Buffer.alloc(0))
    if (type === 'hash') parts.push(...Object.entries(await client.hgetall(key)).map(([k, v]) => Buffer.from(`${k}=${v}`)))
    if (type === 'set') parts.push(...(await client.smembers(key)).map((m) => Buffer.from(m)))
    if (type === 'zset') parts.push(...(await client.zrange(key, 0, -1)).map((m) => Buffer.from(m)))
    parts.push(await client.dumpBuffer(key) ?? Buffer.alloc(0))
  }
  return Buffer.concat(parts)
}

test('a dump of Redis holds no minted token in any form; another replica unseals it from the cookie alone', { skip }, async (t) => {
  const redis = await startRedis(REDIS as string)
  t.after(() => redis.stop())
  const influx = await startFakeInflux()
  t.after(() => influx.close())
  const replica = (): Promise<TestGateway> => startGateway(t, {
    users: [ALICE], upstreamUrl: influx.url, operatorToken: influx.tenancy.operatorToken, config: { session: { store: 'redis', redis: { url: redis.url } } }
  })
  const [a, b] = [await replica(), await replica()]
  const cookie = await signIn(a)
  const [auth] = influx.tenancy.authorizations()
  assert.ok(auth !== undefined)
  const client = new Redis(redis.url)
  t.after(() => client.quit())
  const dump = await dumpAll(client)
  assert.ok(dump.includes(Buffer.from(auth.id)), 'the dump does hold the session (and the authorization id)')
  for (const form of forms(auth.token)) assert.ok(!dump.includes(Buffer.from(form)), `the token appears in the dump as ${form.slice(0, 6)}…`)
  assert.ok(!dump.includes(Buffer.from(cookie.slice(cookie.indexOf('=') + 1))), 'nor does the session id')

  assert.equal((await fetch(`${b.url}/api/v2/buckets`, { headers: { cookie } })).status, 200)
  assert.equal(influx.last()?.headers.authorization, `Token ${auth.token}`, 'replica b unsealed the token with the cookie')
})

test('sessions Redis loses silently (expiry, a flush) have their tokens deleted by the periodic sweep', { skip }, async (t) => {
  const redis = await startRedis(REDIS as string)
  t.after(() => redis.stop())
  const gw = await startGateway(t, {
    users: [ALICE],
    now: () => Date.now() + 10 * 60_000, // past the sweep's grace for young tokens
    config: { session: { store: 'redis', redis: { url: redis.url } }, upstream: { mintSweepInterval: '1s' } }
  })
  const cookie = await signIn(gw)
  const [auth] = gw.influx.tenancy.authorizations()
  assert.ok(auth !== undefined)
  assert.equal((await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })).status, 200)
  const after = gw.influx.requests.length
  await gw.influx.waitForRequest((r) => r.method === 'GET' && r.path === '/api/v2/authorizations' && gw.influx.requests.indexOf(r) > after)
  assert.equal(gw.influx.count('/api/v2/authorizations/'), 0, 'a live session keeps its token through a sweep')
  await redis.command('FLUSHALL')
  await gw.influx.waitForRequest((r) => r.method === 'DELETE' && r.path === `/api/v2/authorizations/${auth.id}`)
  assert.deepEqual(gw.influx.tenancy.authorizations(), [])
})

test('a session record forged in Redis cannot make the gateway delete an authorization it did not mint', { skip }, async (t) => {
  const redis = await startRedis(REDIS as string)
  t.after(() => redis.stop())
  const gw = await startGateway(t, { users: [ALICE], config: { session: { store: 'redis', redis: { url: redis.url } } } })
  const influx = gw.influx
  const created = await fetch(`${influx.url}/api/v2/authorizations`, {
    method: 'POST',
    headers: { authorization: `Token ${influx.tenancy.operatorToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ orgID: influx.tenancy.orgID, description: 'telegraf on host-1', permissions: [{ action: 'write', resource: { type: 'buckets' } }] })
  })
  const foreign = (await created.json() as { id: string }).id
  // The attacker writes a session of an id they chose, "holding" that authorization (as well the operator
  // token's own), then ends it with a sign-out: the gateway would delete it with the operator token.
  const id = newSessionId()
  const client = new Redis(redis.url)
  t.after(() => client.quit())
  const at = Date.now()
  const record = { u: 'alice', c: at, a: at + 3_600_000, i: 3_600_000, m: { i: foreign, t: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', p: 'x' } }
  await client.set(`influx-gateway:session:${hashSessionId(id)}`, JSON.stringify(record), 'PX', 3_600_000)
  const out = await fetch(`${gw.url}/api/v2/signout`, { method: 'POST', headers: { cookie: `influxdb-oss-session=${id}` } })
  // The record is not signed by the gateway: it is no session (nothing to sign out of), and what it claims
  // to hold is never read.
  assert.equal(out.status, 401)
  const metrics = parsePrometheus(await (await fetch(`${gw.url}/gateway/metrics`)).text())
  assert.equal(sampleValue(metrics, 'influx_gateway_session_records_rejected_total', { kind: 'session' }), 1)
  assert.ok(!gw.logs.some((l) => l.audit === 'token' && l.authorization === foreign), 'the minter was never told of it')
  assert.deepEqual(influx.tenancy.authorizations().map((a) => a.id), [foreign])
  assert.ok(!influx.requests.some((r) => r.method === 'DELETE' && r.path === `/api/v2/authorizations/${foreign}`))
})
