import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { requireBinary } from '../helpers/binaries.ts'
import { ALICE, basic, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { startRedis } from '../helpers/redis-server.ts'
import { crowd, signInTogether, type CrowdUser } from '../helpers/sign-in-crowd.ts'

/** The sign-in throttle against a real redis-server, two replicas sharing it: the in-process suite's concurrency cases. */

const REDIS = requireBinary('redis-server', 'redis-server', 'sign-in throttle on Redis')
const skip = REDIS === undefined ? 'redis-server not installed' : false

async function replicas (t: TestContext, users: CrowdUser[], signin: Record<string, unknown>): Promise<[TestGateway, TestGateway]> {
  const redis = await startRedis(REDIS as string)
  t.after(() => redis.stop())
  const config = { signin, session: { store: 'redis', redis: { url: redis.url } } }
  return [await startGateway(t, { users, config }), await startGateway(t, { users, config })]
}

test('twenty people behind one address signing in at once on two replicas are never banned', { skip }, async (t) => {
  const users = crowd(20)
  const [a, b] = await replicas(t, users, { maxFailures: 5 })
  const refused = await Promise.all([signInTogether(a.url, users.slice(0, 10)), signInTogether(b.url, users.slice(10))])
  for (const res of refused.flat()) {
    assert.equal(res.status, 429)
    assert.equal(res.headers.get('retry-after'), '1', 'a retry in a second, not a five-minute ban')
  }
  assert.equal([...a.logs, ...b.logs].filter((l) => l.audit === 'ban').length, 0, 'no ban')
  const again = await fetch(`${b.url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic('user0', users[0]?.password ?? '') } })
  assert.equal(again.status, 204, 'and none follows')
})

test('concurrent wrong passwords on two replicas: only maxFailures are checked, then the user name is banned', { skip }, async (t) => {
  const [a, b] = await replicas(t, [{ ...ALICE, token: 'test-token' }], { maxFailures: 3, maxConcurrentHashes: 1 })
  const guesses = Array.from({ length: 20 }, async (_, i) =>
    (await fetch(`${(i % 2 === 0 ? a : b).url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic('alice', `guess-${i}`) } })).status)
  const statuses = await Promise.all(guesses)
  assert.equal(statuses.filter((s) => s === 401).length, 3, `only three were checked: ${statuses.join(',')}`)
  assert.equal(statuses.filter((s) => s === 429).length, 17)
  const banned = await fetch(`${a.url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic(ALICE.name, ALICE.password) } })
  assert.equal(banned.status, 429, 'banned now, the right password included')
  assert.equal(banned.headers.get('retry-after'), '300')
})
