import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createExpirySweeper } from '../../src/session/expiry-sweeper.ts'
import { createMemoryRedisClient } from '../../src/session/memory-redis-client.ts'
import { createSignInFlowStore, type SignInFlowStore } from '../../src/session/sign-in-flow-store.ts'

const FLOW = { state: 's'.repeat(43), nonce: 'n'.repeat(43), verifier: 'v'.repeat(43), returnTo: '/orgs/1' }

interface Setup { store: SignInFlowStore, tick: (ms: number) => void, keys: () => Promise<string[]>, size: () => number }

function setup (t: { after: (fn: () => unknown) => void }, maxFlows?: number): Setup {
  let now = 1_000_000
  const client = createMemoryRedisClient()
  const sweeper = createExpirySweeper({ client, now: () => now, intervalMs: 3_600_000 })
  t.after(async () => { sweeper.close(); await client.quit() })
  const store = createSignInFlowStore({ client, keyPrefix: 'gw:', now: () => now, sweeper, maxFlows })
  return { store, tick: (ms) => { now += ms }, keys: async () => await client.keys('*'), size: () => sweeper.size() }
}

test('a flow is taken once: the second take finds nothing', async (t) => {
  const { store, keys } = setup(t)
  const id = await store.put(FLOW, 60_000)
  assert.match(id, /^[\w-]{43}$/)
  const stored = await keys()
  assert.equal(stored.length, 1)
  assert.match(stored[0] ?? '', /^gw:signin-flow:[\w-]{43}$/)
  assert.ok(!(stored[0] ?? '').includes(id), 'the id is not the key')
  assert.deepEqual(await store.take(id), FLOW)
  assert.equal(await store.take(id), undefined)
  assert.deepEqual(await keys(), [])
})

test('a flow past its time is gone, by the gateway\'s clock; ids of another shape are not looked up', async (t) => {
  const { store, tick } = setup(t)
  const id = await store.put(FLOW, 60_000)
  tick(60_000)
  assert.equal(await store.take(id), undefined)
  assert.equal(await store.take('not-an-id'), undefined)
  assert.equal(await store.take(`${id}x`), undefined)
})

test('the in-process sweeper watches each flow until it is taken', async (t) => {
  const { store, size } = setup(t)
  const id = await store.put(FLOW, 60_000)
  assert.equal(size(), 1)
  await store.take(id)
  assert.equal(size(), 0)
})

test('flows pending in process are bounded: anonymous logins cannot fill the memory; a finished flow frees its place', async (t) => {
  const { store, tick } = setup(t, 3)
  const ids = [await store.put(FLOW, 60_000), await store.put(FLOW, 60_000), await store.put(FLOW, 120_000)]
  await assert.rejects(store.put(FLOW, 60_000), (err: Error & { kind?: string }) => err.kind === 'signinBusy')
  assert.deepEqual(await store.take(ids[0] ?? ''), FLOW)
  const fourth = await store.put(FLOW, 60_000)
  await assert.rejects(store.put(FLOW, 60_000), (err: Error & { kind?: string }) => err.kind === 'signinBusy')
  tick(60_000)
  assert.equal(await store.take(fourth), undefined)
  await store.put(FLOW, 60_000)
  assert.deepEqual(await store.take(ids[2] ?? ''), FLOW, 'the flows within the bound are kept')
})
