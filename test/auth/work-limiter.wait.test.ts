import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createWorkLimiter, type WorkLimiterSettings } from '../../src/auth/work-limiter.ts'
import { GatewayError } from '../../src/errors.ts'

/** A task that runs until the test opens it, recording that it ran. */
function heldTask (ran: string[], name: string): { task: () => Promise<string>, open: () => void } {
  let open = (): void => {}
  const opened = new Promise<void>((resolve) => { open = resolve })
  return { task: async () => { ran.push(name); await opened; return name }, open }
}

const busy = (err: unknown): boolean =>
  err instanceof GatewayError && err.kind === 'signinBusy' && err.status === 503 && err.headers['Retry-After'] === '1'

/** Lets settled promises run their continuations (no timers: the clock is mocked). */
const settle = async (): Promise<void> => { for (let i = 0; i < 5; i++) await Promise.resolve() }

test('a sign-in that waits longer than maxWaitMs for a hash slot gets 503 and is never hashed', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const settings: WorkLimiterSettings = { maxConcurrent: 1, maxQueued: 100, maxWaitMs: 5000 }
  const limiter = createWorkLimiter(() => settings)
  const ran: string[] = []
  const first = heldTask(ran, 'first')
  const late = heldTask(ran, 'late')
  const inTime = heldTask(ran, 'in time')
  const running = limiter.run(first.task)
  const lateRun = limiter.run(late.task)
  let lateFailed: unknown
  lateRun.catch((err: unknown) => { lateFailed = err })
  t.mock.timers.tick(4000)
  const inTimeRun = limiter.run(inTime.task)
  t.mock.timers.tick(999)
  await settle()
  assert.equal(lateFailed, undefined, 'still within the bound')
  t.mock.timers.tick(1)
  await assert.rejects(lateRun, busy)
  first.open()
  assert.equal(await running, 'first')
  await settle()
  inTime.open()
  assert.equal(await inTimeRun, 'in time', 'a sign-in freed within its bound is hashed')
  assert.deepEqual(ran, ['first', 'in time'], 'the late sign-in was never hashed')
  assert.equal(await limiter.run(async () => 'free'), 'free', 'the timed-out waiter left no slot taken')
})

test('the wait bound is read per sign-in, so a reload applies to the next one', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const settings: WorkLimiterSettings = { maxConcurrent: 1, maxQueued: 100, maxWaitMs: 5000 }
  const limiter = createWorkLimiter(() => settings)
  const ran: string[] = []
  const first = heldTask(ran, 'first')
  const running = limiter.run(first.task)
  settings.maxWaitMs = 100
  const waiting = limiter.run(async () => 'never')
  t.mock.timers.tick(100)
  await assert.rejects(waiting, busy)
  first.open()
  assert.equal(await running, 'first')
})
