import assert from 'node:assert/strict'
import { mock, test } from 'node:test'
import { createExpirySweeper } from '../../src/session/expiry-sweeper.ts'
import { createMemoryRedisClient } from '../../src/session/memory-redis-client.ts'
import { createRedisSessionStore } from '../../src/session/redis-session-store.ts'
import { randomBytes } from 'node:crypto'
import { createRecordSigner } from '../../src/session/record-signer.ts'

const IDLE = 600_000

function setup (t: { after: (fn: () => Promise<void>) => void }) {
  const client = createMemoryRedisClient()
  const expired: string[] = []
  const sweeper = createExpirySweeper({ client, now: () => Date.now(), onExpired: (_key, user) => expired.push(user) })
  const store = createRedisSessionStore({
    client, keyPrefix: 'test:', timeouts: () => ({ idleMs: IDLE, absoluteMs: IDLE * 48 }), now: () => Date.now(), sweeper, signer: createRecordSigner({ key: randomBytes(32) })
  })
  t.after(() => store.close())
  return { store, sweeper, expired }
}

function heapUsed (): number {
  global.gc?.()
  global.gc?.()
  return process.memoryUsage().heapUsed
}

test('expired sessions leave memory after a sweep, without anyone reading them', { skip: global.gc === undefined && 'needs node --expose-gc' }, async (t) => {
  mock.timers.enable({ apis: ['Date'], now: Date.UTC(2026, 10, 28) })
  t.after(() => mock.timers.reset())
  const { store, sweeper, expired } = setup(t)
  const baseline = heapUsed()
  for (let i = 0; i < 20_000; i++) await store.create(`user-${i}`)
  const filled = heapUsed()
  assert.ok(filled - baseline > 4_000_000, `20k sessions should be visible on the heap (${filled - baseline} B)`)

  mock.timers.tick(IDLE + 1)
  // Expired but never read: ioredis-mock alone would keep every one of them.
  assert.ok(heapUsed() - baseline > (filled - baseline) * 0.8, 'nothing is freed before the sweep')
  assert.equal(await sweeper.sweep(), 20_000)
  const swept = heapUsed()
  // Not all of it: hash tables keep some capacity, and coverage instrumentation allocates meanwhile.
  assert.ok(swept - baseline < (filled - baseline) * 0.4, `heap after sweep: +${swept - baseline} B of +${filled - baseline} B`)
  assert.equal(sweeper.size(), 0)
  assert.equal(expired.length, 20_000)
})

test('a sweep reads only due keys, requeues renewed ones and ignores destroyed ones', async (t) => {
  mock.timers.enable({ apis: ['Date'], now: Date.UTC(2026, 10, 28) })
  t.after(() => mock.timers.reset())
  const { store, sweeper, expired } = setup(t)
  const kept = await store.create('kept')
  const dropped = await store.create('dropped')
  const signedOut = await store.create('signed-out')
  assert.equal(await sweeper.sweep(), 0, 'nothing due yet')
  mock.timers.tick(IDLE / 2)
  await store.get(kept.id)
  await store.destroy(signedOut.id)
  mock.timers.tick(IDLE / 2 + 1)
  assert.equal(await sweeper.sweep(), 1)
  assert.deepEqual(expired, ['dropped'])
  assert.equal(await store.get(dropped.id), undefined)
  assert.equal((await store.get(kept.id, { renew: false }))?.user, 'kept', 'renewed session survives the sweep')
  assert.equal(sweeper.size(), 1, 'only the renewed session is still watched')
  mock.timers.tick(IDLE + 1)
  assert.equal(await sweeper.sweep(), 1)
  assert.deepEqual(expired, ['dropped', 'kept'])
})
