import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import type { Redis } from 'ioredis'
import { createMetrics } from '../../src/observability/metrics.ts'
import { createExpirySweeper } from '../../src/session/expiry-sweeper.ts'
import { createMemoryRedisClient } from '../../src/session/memory-redis-client.ts'
import { createRecordSigner } from '../../src/session/record-signer.ts'
import { hashSessionId } from '../../src/session/session-id.ts'
import { createSignInFlowStore, type SignInFlowStore } from '../../src/session/sign-in-flow-store.ts'

const FLOW = { state: 's'.repeat(43), nonce: 'n'.repeat(43), verifier: 'v'.repeat(43), returnTo: '/orgs/1' }

interface Setup {
  store: SignInFlowStore
  tick: (ms: number) => void
  keys: () => Promise<string[]>
  size: () => number
  client: Redis
  metricsText: () => Promise<string>
}

function setup (t: { after: (fn: () => unknown) => void }, maxFlows?: number): Setup {
  let now = 1_000_000
  const client = createMemoryRedisClient()
  const sweeper = createExpirySweeper({ client, now: () => now, intervalMs: 3_600_000 })
  t.after(async () => { sweeper.close(); await client.quit() })
  const metrics = createMetrics()
  const signer = createRecordSigner({ key: randomBytes(32), onRejected: (kind) => metrics.recordRejected(kind) })
  const store = createSignInFlowStore({ client, keyPrefix: 'gw:', now: () => now, signer, sweeper, maxFlows })
  return {
    store,
    tick: (ms) => { now += ms },
    keys: async () => await client.keys('*'),
    size: () => sweeper.size(),
    client,
    metricsText: async () => await metrics.registry.metrics()
  }
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

test('a flow record written or edited in the store by anyone but the gateway is refused, and counted', async (t) => {
  const { store, keys, client, metricsText } = setup(t)
  const id = await store.put(FLOW, 60_000)
  const [key] = await keys()
  const stored = await client.get(key ?? '') ?? ''
  // Someone with write access to the store sends the browser elsewhere after the sign-in, in place.
  await client.set(key ?? '', stored.replace('/orgs/1', '/orgs/2'), 'PX', 60_000)
  assert.equal(await store.take(id), undefined)
  assert.match(await metricsText(), /^influx_gateway_session_records_rejected_total\{kind="flow"\} 1$/m)
  // Or writes one of its own making under a key it chose, with the verifier it knows.
  const chosen = 'F'.repeat(43)
  const forged = { ...FLOW, e: 2_000_000 }
  await client.set(`gw:signin-flow:${hashSessionId(chosen)}`, JSON.stringify(forged), 'PX', 60_000)
  assert.equal(await store.take(chosen), undefined)
  assert.match(await metricsText(), /^influx_gateway_session_records_rejected_total\{kind="flow"\} 2$/m)
})
