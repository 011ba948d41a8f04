/**
 * The per-identity session index in process (src/session/identity-session-index.ts over ioredis-mock): two
 * stores on one in-process Redis, as two replicas on one Redis, racing sign-ins of one identity never leave it
 * more than the cap, and every session past it is ended exactly once (the WATCH/MULTI transaction retries).
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { createMemoryRedisClient } from '../../src/session/memory-redis-client.ts'
import { createRecordSigner } from '../../src/session/record-signer.ts'
import { createRedisSessionStore } from '../../src/session/redis-session-store.ts'
import type { SessionStore } from '../../src/session/session-store.ts'

const CAP = 3
/** The replicas share the record key, as they must. */
const signer = createRecordSigner({ key: randomBytes(32) })

function openStore (client: ReturnType<typeof createMemoryRedisClient>): SessionStore {
  return createRedisSessionStore({
    client, keyPrefix: 'race:', timeouts: () => ({ idleMs: 600_000, absoluteMs: 3_600_000 }), maxPerIdentity: () => CAP, now: Date.now, signer
  })
}

test('two stores on one in-process Redis racing sign-ins of one identity leave it the cap, ending each other one once', async (t) => {
  const client = createMemoryRedisClient()
  const stores = [openStore(client), openStore(client.duplicate())]
  t.after(async () => { for (const s of stores) await s.close() })
  const created = await Promise.all(Array.from({ length: 40 }, async (_, i) => await (stores[i % 2] as SessionStore).create('alice')))
  const live = (await Promise.all(created.map(async (c) => await stores[0]?.get(c.id, { renew: false })))).filter((s) => s !== undefined)
  assert.equal(live.length, CAP)
  const evicted = created.flatMap((c) => c.evicted ?? [])
  assert.equal(evicted.length, 40 - CAP)
  assert.equal(new Set(evicted).size, evicted.length, 'no session ended twice')
  const ended = new Set(evicted)
  for (const c of created) assert.equal(ended.has(c.session.ref), !live.some((s) => s.ref === c.session.ref))
})
