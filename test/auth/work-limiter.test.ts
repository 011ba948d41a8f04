import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createWorkLimiter } from '../../src/auth/work-limiter.ts'
import { GatewayError } from '../../src/errors.ts'

test('the hash limiter runs at most maxConcurrent tasks, queues maxQueued, refuses the rest with 503', async () => {
  const limiter = createWorkLimiter(() => ({ maxConcurrent: 2, maxQueued: 1, maxWaitMs: 60_000 }))
  let running = 0
  let peak = 0
  const gates: Array<() => void> = []
  const task = (): Promise<string> => new Promise((resolve) => {
    running++
    peak = Math.max(peak, running)
    gates.push(() => { running--; resolve('done') })
  })
  const runs = [limiter.run(task), limiter.run(task), limiter.run(task)]
  await assert.rejects(limiter.run(task), (err: unknown) => err instanceof GatewayError && err.status === 503 && err.headers['Retry-After'] === '1')
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(gates.length, 2, 'the third waits')
  gates.shift()?.()
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(gates.length, 2, 'the queued task took the freed slot')
  for (const open of gates.splice(0)) open()
  assert.deepEqual(await Promise.all(runs), ['done', 'done', 'done'])
  assert.equal(peak, 2)
  assert.equal(await limiter.run(async () => 'again'), 'again', 'slots are all free again')
})

test('a failing task frees its slot', async () => {
  const limiter = createWorkLimiter(() => ({ maxConcurrent: 1, maxQueued: 0, maxWaitMs: 60_000 }))
  await assert.rejects(limiter.run(async () => { throw new Error('boom') }), /boom/)
  assert.equal(await limiter.run(async () => 1), 1)
})
