/**
 * The compare-and-set of whole signed records (src/session/record-swap.ts) as the store's rewrites use it
 * (src/session/stored-session.ts), on the in-process client: a revocation and a group refresh that read the
 * same record and then write it, interleaved, both land; neither write is lost to the other.
 */
import { test } from 'node:test'
import { createMemoryRedisClient } from '../../src/session/memory-redis-client.ts'
import { assertInterleavedRewritesLand } from './interleaved-rewrites.ts'

test('a revocation and a group refresh interleaved on one record: the second write retries on the first\'s result', async (t) => {
  await assertInterleavedRewritesLand(t, createMemoryRedisClient())
})
