import { after, before, test } from 'node:test'
import { createRedisClient } from '../../src/session/redis-client.ts'
import { createRedisSessionStore } from '../../src/session/redis-session-store.ts'
import { sessionStoreContract, storedValue } from './session-store.contract.ts'
import { requireBinary } from '../helpers/binaries.ts'
import { startRedis, type RedisServer } from '../helpers/redis-server.ts'

/** The same contract as the in-process store, against a real redis-server with short real TTLs. */

const REDIS = requireBinary('redis-server', 'redis-server', 'Redis session store')

if (REDIS === undefined) {
  // Skipped visibly (reported as SKIP, not as a file with no tests), like the other binary suites;
  // with CI=true requireBinary has already failed the file.
  test('redis store: the session store contract against a real redis-server', { skip: 'redis-server not installed' }, () => {})
} else {
  let redis: RedisServer
  let n = 0
  before(async () => { redis = await startRedis(REDIS) })
  after(() => redis.stop())
  sessionStoreContract('redis store', {
    idleMs: 400,
    now: () => Date.now(),
    // Redis expires keys on its own clock: time has to pass for real (short TTLs keep it brief).
    fastForward: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    create: async ({ idleTimeoutMs, absoluteTimeoutMs, maxPerIdentity }) => {
      const client = createRedisClient({ url: redis.url, connectTimeoutMs: 2000, commandTimeoutMs: 2000 })
      const keyPrefix = `contract-${n++}:`
      const store = createRedisSessionStore({ client, keyPrefix, timeouts: () => ({ idleMs: idleTimeoutMs, absoluteMs: absoluteTimeoutMs }), maxPerIdentity: () => maxPerIdentity ?? 0, now: () => Date.now() })
      return {
        store,
        dump: async () => {
          const keys = await client.keys(`${keyPrefix}*`)
          return await Promise.all(keys.map(async (k) => [k, await storedValue(client, k)] as [string, string]))
        }
      }
    }
  })
}
