/**
 * The per-address bound of pending sign-in flows as replicas share it, against a real redis-server: one
 * count per address whichever replica started or took a flow.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createPendingFlowLimit } from '../../src/session/pending-flow-limit.ts'
import { createRedisClient } from '../../src/session/redis-client.ts'
import { requireBinary } from '../helpers/binaries.ts'
import { startRedis } from '../helpers/redis-server.ts'

const REDIS = requireBinary('redis-server', 'redis-server', 'Redis session store')
const skip = REDIS === undefined ? 'redis-server not installed' : false
const TTL = 600_000

test('two replicas count one address together; a flow taken on either frees its place; ended flows stop counting', { skip }, async (t) => {
  const redis = await startRedis(REDIS as string)
  t.after(() => redis.stop())
  let now = Date.now()
  const replica = (): ReturnType<typeof createPendingFlowLimit> => {
    const client = createRedisClient({ url: redis.url, connectTimeoutMs: 2000, commandTimeoutMs: 2000 })
    t.after(() => client.quit())
    return createPendingFlowLimit({ client, keyPrefix: 'gw:', now: () => now })
  }
  const a = replica()
  const b = replica()
  assert.equal((await a.admit('192.0.2.1', 's1', TTL, 2)).admitted, true)
  assert.equal((await b.admit('192.0.2.1', 's2', TTL, 2)).admitted, true)
  assert.equal((await a.admit('192.0.2.1', 's3', TTL, 2)).admitted, false, 'started on A and B, counted once')
  assert.equal((await b.admit('192.0.2.2', 's4', TTL, 2)).admitted, true, 'another address')
  await b.release('192.0.2.1', 's1')
  assert.equal((await a.admit('192.0.2.1', 's3', TTL, 2)).admitted, true, 'taken on B, its place is free on A')

  const [key] = (await redis.command('KEYS', 'gw:signin-flows-of:*')).split('\r\n').filter((l) => l.startsWith('gw:'))
  const pttl = Number((await redis.command('PTTL', key ?? '')).slice(1))
  assert.ok(pttl > 0 && pttl <= TTL, `the set lives no longer than its newest flow (${pttl} ms)`)

  now += TTL
  assert.equal((await a.admit('192.0.2.1', 's5', TTL, 2)).admitted, true, 'flows past their end no longer count')
  await a.release('192.0.2.1', 's5')
  await a.release('192.0.2.2', 's4')
  assert.equal(await redis.command('KEYS', 'gw:signin-flows-of:*'), '*0\r\n', 'an emptied set is gone')
})
