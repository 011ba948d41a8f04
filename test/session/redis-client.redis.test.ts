/**
 * The bound on every Redis command (`session.redis.commandTimeout`), against a real redis-server that
 * hangs: stopped with SIGSTOP (by the PID this test started), its connections stay open and nothing
 * answers. Without the bound each call below would wait forever; the test's own timeout then fails it.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { GatewayError } from '../../src/errors.ts'
import { createRecordSigner } from '../../src/session/record-signer.ts'
import { createRecordSwap } from '../../src/session/record-swap.ts'
import { createRedisClient } from '../../src/session/redis-client.ts'
import { createRedisSessionStore } from '../../src/session/redis-session-store.ts'
import { createSignInFlowStore } from '../../src/session/sign-in-flow-store.ts'
import { requireBinary } from '../helpers/binaries.ts'
import { startRedis } from '../helpers/redis-server.ts'

const REDIS = requireBinary('redis-server', 'redis-server', 'Redis session store')
const skip = REDIS === undefined ? 'redis-server not installed' : false

const unavailable = (err: unknown): boolean => err instanceof GatewayError && err.status === 503 && err.message === 'session store is unavailable'

test('a Redis that stops answering: every read, swap and flow take fails within commandTimeout as 503; sessions work again after', { skip, timeout: 20_000 }, async (t) => {
  const redis = await startRedis(REDIS as string)
  t.after(() => redis.stop())
  const client = createRedisClient({ url: redis.url, connectTimeoutMs: 2000, commandTimeoutMs: 200 })
  const signer = createRecordSigner({ key: randomBytes(32) })
  let now = Date.now()
  const store = createRedisSessionStore({ client, keyPrefix: 'gw:', timeouts: () => ({ idleMs: 600_000, absoluteMs: 3_600_000 }), now: () => now, signer })
  t.after(() => store.close())
  const flows = createSignInFlowStore({ client, keyPrefix: 'gw:', now: () => now, signer })
  const { id } = await store.create('alice', 'stamp-a')
  const flow = await flows.put({ state: 's', nonce: 'n', verifier: 'v', returnTo: '/' }, 60_000)
  const swap = createRecordSwap(client)
  assert.equal(await swap('gw:other', 'expected', 'next', 1000), false, 'the script is known to Redis before it stops')

  redis.pause()
  t.after(() => redis.resume())
  now += 120_000 // a renewal is due: the read would be followed by a compare-and-set
  await assert.rejects(store.get(id), unavailable, 'a read')
  await assert.rejects(store.update(id, { groups: [], checkedAt: now }), unavailable, 'a rewrite')
  await assert.rejects(swap('gw:other', 'expected', 'next', 1000), /timed out/i, 'a compare-and-set')
  await assert.rejects(flows.take(flow), unavailable, 'a flow taken')

  redis.resume()
  assert.equal((await store.get(id))?.user, 'alice', 'the same session once Redis answers again')
})
