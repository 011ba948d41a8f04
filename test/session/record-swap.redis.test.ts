/**
 * The compare-and-set of whole signed records (src/session/record-swap.ts) against a real redis-server: its
 * Lua script, as record-swap.test.ts checks the in-process client's equivalent. A revocation and a group
 * refresh that read the same record and then write it, interleaved, both land.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { requireBinary } from '../helpers/binaries.ts'
import { startRedis } from '../helpers/redis-server.ts'
import { createRecordSigner } from '../../src/session/record-signer.ts'
import { createRecordSwap } from '../../src/session/record-swap.ts'
import { createRedisSessionStore } from '../../src/session/redis-session-store.ts'
import { hashSessionId } from '../../src/session/session-id.ts'
import { openSessionRecord } from '../../src/session/session-record.ts'
import { rewrite, type StoreContext } from '../../src/session/stored-session.ts'

const REDIS = requireBinary('redis-server', 'redis-server', 'Redis session store')
const skip = REDIS === undefined ? 'redis-server not installed' : false

test('a revocation and a group refresh interleaved on one record: the second write retries on the first\'s result', { skip }, async (t) => {
  const redis = await startRedis(REDIS as string)
  t.after(() => redis.stop())
  const client = new Redis(redis.url)
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
})
