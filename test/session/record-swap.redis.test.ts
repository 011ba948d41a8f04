/**
 * The compare-and-set of whole signed records (src/session/record-swap.ts) against a real redis-server: its
 * Lua script, as record-swap.test.ts checks the in-process client's equivalent. A revocation and a group
 * refresh that read the same record and then write it, interleaved, both land.
 */
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { requireBinary } from '../helpers/binaries.ts'
import { startRedis } from '../helpers/redis-server.ts'
import { assertInterleavedRewritesLand } from './interleaved-rewrites.ts'

const REDIS = requireBinary('redis-server', 'redis-server', 'Redis session store')
const skip = REDIS === undefined ? 'redis-server not installed' : false

test('a revocation and a group refresh interleaved on one record: the second write retries on the first\'s result', { skip }, async (t) => {
  const redis = await startRedis(REDIS as string)
  t.after(() => redis.stop())
  await assertInterleavedRewritesLand(t, new Redis(redis.url))
})
