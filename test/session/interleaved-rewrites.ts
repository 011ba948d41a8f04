/**
 * What record-swap.test.ts and record-swap.redis.test.ts both check, on the client each gives: a revocation
 * and a group refresh that read the same record and then write it, interleaved, both land (the compare-and-set
 * of whole signed records, src/session/record-swap.ts, as the store's rewrites use it).
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import type { TestContext } from 'node:test'
import { createRecordSigner } from '../../src/session/record-signer.ts'
import { createRecordSwap } from '../../src/session/record-swap.ts'
import { createRedisSessionStore, type SessionRedisClient } from '../../src/session/redis-session-store.ts'
import { hashSessionId } from '../../src/session/session-id.ts'
import { openSessionRecord } from '../../src/session/session-record.ts'
import { rewrite, type StoreContext } from '../../src/session/stored-session.ts'

/** Interleaves a revocation and a refresh of one record on `client`, and asserts that both writes hold. */
export async function assertInterleavedRewritesLand (t: TestContext, client: SessionRedisClient): Promise<void> {
  const signer = createRecordSigner({ key: randomBytes(32) })
  const timeouts = (): { idleMs: number, absoluteMs: number } => ({ idleMs: 600_000, absoluteMs: 3_600_000 })
  const store = createRedisSessionStore({ client, keyPrefix: 't:', timeouts, now: Date.now, signer })
  t.after(() => store.close())
  const { id } = await store.create({ name: 'dave', source: 'ldap', groups: ['a'] }, undefined, Date.now())
  const key = `t:session:${hashSessionId(id)}`
  const swap = createRecordSwap(client)
  let refresh: Promise<boolean> | undefined
  let held = false
  // The revocation's first write waits until the refresh, started once the revocation had read the record,
  // has read the same record and written its own.
  const ctx = {
    client,
    signer,
    timeouts,
    now: Date.now,
    swap: async (...args: Parameters<typeof swap>) => {
      if (!held && refresh !== undefined) { held = true; await refresh }
      return await swap(...args)
    }
  } as unknown as StoreContext
  const revoked = await rewrite(ctx, key, (record) => {
    refresh ??= rewrite(ctx, key, (r) => ({ ...r, g: ['b'] }))
    return { ...record, r: 1 }
  })
  assert.equal(revoked, true)
  assert.equal(await refresh, true)
  const stored = openSessionRecord(signer, key, await client.get(key))
  assert.deepEqual([stored?.r, stored?.g], [1, ['b']], 'the revocation and the refresh both hold')
}
