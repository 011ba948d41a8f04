import { randomBytes } from 'node:crypto'
import { after, before, test } from 'node:test'
import { createRecordSigner } from '../../src/session/record-signer.ts'
import { createRedisClient } from '../../src/session/redis-client.ts'
import { createRedisSessionStore } from '../../src/session/redis-session-store.ts'
import { hashSessionId } from '../../src/session/session-id.ts'
import { sessionStoreContract, storedValue, type ContractHooks } from './session-store.contract.ts'
import { listingContract } from './session-store.listing.contract.ts'
import { providerLogoutContract } from './session-store.provider-logout.contract.ts'
import { requireBinary } from '../helpers/binaries.ts'
import { startRedis, type RedisServer } from '../helpers/redis-server.ts'

/**
 * The same contract as the in-process store, against a real redis-server. The store decides by its own
 * (injected) clock; fast-forwarding moves that clock and takes as much off every TTL Redis holds, as if
 * that time had passed for Redis too (miniredis's FastForward): no real waiting.
 */

const REDIS = requireBinary('redis-server', 'redis-server', 'Redis session store')

if (REDIS === undefined) {
  // Skipped visibly (reported as SKIP, not as a file with no tests), like the other binary suites;
  // with CI=true requireBinary has already failed the file.
  test('redis store: the session store contract against a real redis-server', { skip: 'redis-server not installed' }, () => {})
} else {
  let redis: RedisServer
  let n = 0
  let clock = Date.now()
  const admin = (): ReturnType<typeof createRedisClient> => createRedisClient({ url: redis.url, connectTimeoutMs: 2000, commandTimeoutMs: 2000 })
  before(async () => { redis = await startRedis(REDIS) })
  after(() => redis.stop())
  const hooks: ContractHooks = {
    idleMs: 600_000,
    now: () => clock,
    fastForward: async (ms) => {
      clock += ms
      const client = admin()
      try {
        const keys = await client.keys('contract-*')
        const ttls = await Promise.all(keys.map(async (key) => await client.pttl(key)))
        // PEXPIRE with a time already past deletes the key, as Redis's own expiry would have.
        await Promise.all(keys.map(async (key, i) => { const ttl = ttls[i] ?? -1; if (ttl >= 0) await client.pexpire(key, ttl - ms) }))
      } finally {
        await client.quit()
      }
    },
    create: async ({ idleTimeoutMs, absoluteTimeoutMs, maxPerIdentity }) => {
      const client = admin()
      const keyPrefix = `contract-${n++}:`
      const store = createRedisSessionStore({
        client,
        keyPrefix,
        timeouts: () => ({ idleMs: idleTimeoutMs, absoluteMs: absoluteTimeoutMs }),
        maxPerIdentity: () => maxPerIdentity ?? 0,
        now: () => clock,
        signer: createRecordSigner({ key: randomBytes(32) })
      })
      return {
        store,
        client,
        sessionKey: (id) => `${keyPrefix}session:${hashSessionId(id)}`,
        dump: async () => {
          const keys = await client.keys(`${keyPrefix}*`)
          return await Promise.all(keys.map(async (k) => [k, await storedValue(client, k)] as [string, string]))
        }
      }
    }
  }
  sessionStoreContract('redis store', hooks)
  providerLogoutContract('redis store', hooks)
  listingContract('redis store', hooks)
}
