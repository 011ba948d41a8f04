/**
 * InfluxDB 3's per-session tokens (`mint: {}`) with the Redis store, against a real redis-server: a Core
 * session's token is an admin token, sealed in the session record as InfluxDB 2's are, so a dump of every
 * key yields it in no form; another replica unseals it from the cookie alone; sign-out on that replica
 * deletes it in InfluxDB 3.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { requireBinary } from '../helpers/binaries.ts'
import { INFLUX3_OPERATOR_TOKEN, startFakeInflux3 } from '../helpers/fake-influx3.ts'
import { signIn, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { startRedis } from '../helpers/redis-server.ts'

const REDIS = requireBinary('redis-server', 'redis-server', 'Redis session store')
const skip = REDIS === undefined ? 'redis-server not installed' : false

const ALICE = { name: 'alice', password: 'correct horse battery staple', groups: ['analysts'] }
const RULE = { group: 'analysts', mint: {}, databases: { read: ['telemetry'], write: ['telemetry'] } }

/** Every form a token could be stored in. */
function forms (token: string): string[] {
  const bytes = Buffer.from(token)
  return [token, token.slice('apiv3_'.length), bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex'), encodeURIComponent(token)]
}

/** Every key and value, as Redis would hand them to someone who dumped it, raw bytes included. */
async function dumpAll (client: Redis): Promise<Buffer> {
  const parts: Buffer[] = []
  for (const key of await client.keys('*')) parts.push(Buffer.from(key), await client.dumpBuffer(key) ?? Buffer.alloc(0))
  return Buffer.concat(parts)
}

test('a Core session\'s admin token is sealed in Redis; another replica unseals it from the cookie and deletes it at sign-out', { skip }, async (t) => {
  const redis = await startRedis(REDIS as string)
  t.after(() => redis.stop())
  const influx3 = await startFakeInflux3({ build: 'Core', databases: ['telemetry'] })
  t.after(() => influx3.close())
  const replica = (): Promise<TestGateway> => startGateway(t, {
    upstreamUrl: influx3.url,
    users: [ALICE],
    operatorToken: INFLUX3_OPERATOR_TOKEN,
    access: [RULE],
    config: { upstream: { version: 3 }, session: { store: 'redis', redis: { url: redis.url } } }
  })
  const [a, b] = [await replica(), await replica()]
  const cookie = await signIn(a, ALICE.name, ALICE.password)
  const [token, ...more] = influx3.tokens().filter((x) => x.name.startsWith('influx-gateway (influx-gateway:) session '))
  assert.ok(token !== undefined && more.length === 0, 'one token, named with the Redis key prefix as the namespace')
  const client = new Redis(redis.url)
  t.after(() => client.quit())
  const dump = await dumpAll(client)
  assert.ok(dump.includes(Buffer.from(token.name)), 'the dump does hold the session (and the token\'s name)')
  for (const form of forms(token.secret)) assert.ok(!dump.includes(Buffer.from(form)), `the token appears in the dump as ${form.slice(0, 6)}…`)
  const res = await fetch(`${b.url}/api/v3/query_sql?db=telemetry&q=SELECT%201`, { headers: { cookie } })
  assert.equal(res.status, 200)
  assert.equal(influx3.last()?.tokenName, token.name, 'replica b unsealed the token with the cookie')
  assert.equal((await fetch(`${b.url}/api/v2/signout`, { method: 'POST', headers: { cookie } })).status, 204)
  await influx3.waitForRequest((r) => r.method === 'DELETE' && r.query.get('token_name') === token.name)
  assert.ok(!influx3.tokens().some((x) => x.name === token.name))
})
