import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createExpirySweeper } from '../../src/session/expiry-sweeper.ts'
import { createMemoryRedisClient } from '../../src/session/memory-redis-client.ts'
import { createPendingFlowLimit, type PendingFlowLimit } from '../../src/session/pending-flow-limit.ts'

const TTL = 600_000

interface Setup { limit: PendingFlowLimit, tick: (ms: number) => void, keys: () => Promise<string[]>, size: () => number }

function setup (t: { after: (fn: () => unknown) => void }): Setup {
  let now = 1_000_000
  const client = createMemoryRedisClient()
  const sweeper = createExpirySweeper({ client, now: () => now, intervalMs: 3_600_000 })
  t.after(async () => { sweeper.close(); await client.quit() })
  const limit = createPendingFlowLimit({ client, keyPrefix: 'gw:', now: () => now, sweeper })
  return { limit, tick: (ms) => { now += ms }, keys: async () => await client.keys('*'), size: () => sweeper.size() }
}

/** Starts `n` flows of `ip` with states `<prefix>0…`; resolves to whether each was admitted. */
async function admitMany (limit: PendingFlowLimit, ip: string, n: number, max: number, prefix = 's'): Promise<boolean[]> {
  const verdicts: boolean[] = []
  for (let i = 0; i < n; i++) verdicts.push((await limit.admit(ip, `${prefix}${i}`, TTL, max)).admitted)
  return verdicts
}

test('one address gets `max` pending flows, then a refusal saying when its oldest ends; other addresses are not touched', async (t) => {
  const { limit, tick } = setup(t)
  assert.deepEqual(await admitMany(limit, '192.0.2.1', 3, 3), [true, true, true])
  tick(60_000)
  assert.deepEqual(await limit.admit('192.0.2.1', 'late', TTL, 3), { admitted: false, retryAfterMs: TTL - 60_000 })
  assert.deepEqual(await limit.admit('192.0.2.1', 'later', TTL, 3), { admitted: false, retryAfterMs: TTL - 60_000 },
    'a refused flow is not counted')
  assert.deepEqual(await admitMany(limit, '192.0.2.2', 3, 3), [true, true, true])
})

test('an IPv6 client is counted per /64, as the sign-in throttle counts it', async (t) => {
  const { limit } = setup(t)
  assert.deepEqual(await limit.admit('2001:db8:1:2::1', 'a', TTL, 2), { admitted: true })
  assert.deepEqual(await limit.admit('2001:db8:1:2:ffff::9', 'b', TTL, 2), { admitted: true })
  assert.equal((await limit.admit('2001:0db8:1:2:0:0:0:7', 'c', TTL, 2)).admitted, false, 'the same /64, written otherwise')
  assert.equal((await limit.admit('2001:db8:1:3::1', 'd', TTL, 2)).admitted, true, 'the next /64')
})

test('a taken flow frees its place; a release of an unknown state frees nothing; an emptied set is gone, in the store and the sweeper', async (t) => {
  const { limit, keys, size } = setup(t)
  await admitMany(limit, '192.0.2.1', 2, 2)
  assert.equal(size(), 1, 'the in-process sweeper watches the address\'s set (freed at its end if never taken)')
  await limit.release('192.0.2.1', 'unknown')
  await limit.release('192.0.2.9', 's0')
  assert.equal((await limit.admit('192.0.2.1', 'x', TTL, 2)).admitted, false)
  await limit.release('192.0.2.1', 's0')
  assert.equal((await limit.admit('192.0.2.1', 'x', TTL, 2)).admitted, true)
  await limit.release('192.0.2.1', 'x')
  await limit.release('192.0.2.1', 's1')
  assert.deepEqual(await keys(), [])
  assert.equal(size(), 0)
})

test('a flow never taken stops counting at its end, without waiting for the set to expire', async (t) => {
  const { limit, tick } = setup(t)
  await limit.admit('192.0.2.1', 'old', TTL, 2)
  tick(TTL / 2)
  await limit.admit('192.0.2.1', 'new', TTL, 2)
  assert.equal((await limit.admit('192.0.2.1', 'x', TTL, 2)).admitted, false)
  tick(TTL / 2)
  assert.equal((await limit.admit('192.0.2.1', 'x', TTL, 2)).admitted, true, 'the old flow ended')
  assert.equal((await limit.admit('192.0.2.1', 'y', TTL, 2)).admitted, false)
})

test('the bound is read at each admission (a reload applies to the next flow)', async (t) => {
  const { limit } = setup(t)
  assert.deepEqual(await admitMany(limit, '192.0.2.1', 3, 5), [true, true, true])
  assert.equal((await limit.admit('192.0.2.1', 'x', TTL, 3)).admitted, false)
  assert.equal((await limit.admit('192.0.2.1', 'x', TTL, 4)).admitted, true)
})

test('neither the address nor a state is written to the store', async (t) => {
  const { limit, keys } = setup(t)
  const state = 'state-value-0123456789'
  await limit.admit('192.0.2.77', state, TTL, 2)
  const stored = await keys()
  assert.equal(stored.length, 1)
  assert.match(stored[0] ?? '', /^gw:signin-flows-of:[\w-]{22}$/)
  assert.ok(!stored.some((k) => k.includes('192.0.2.77') || k.includes(state)))
})

test('a store failure is a 503 (session store unavailable), never a crash', async () => {
  const failing = { multi: () => { throw new Error('connection lost') }, zrem: async () => 0, del: async () => 0, pttl: async () => -2 }
  const limit = createPendingFlowLimit({ client: failing as never, keyPrefix: 'gw:', now: Date.now })
  await assert.rejects(limit.admit('192.0.2.1', 's', TTL, 2), (err: Error & { kind?: string }) => err.kind === 'sessionStoreDown')
  await assert.rejects(limit.release('192.0.2.1', 's'), (err: Error & { kind?: string }) => err.kind === 'sessionStoreDown')
})
