import { randomBytes } from 'node:crypto'
import { mock } from 'node:test'
import { createExpirySweeper } from '../../src/session/expiry-sweeper.ts'
import { createMemoryRedisClient } from '../../src/session/memory-redis-client.ts'
import { createRecordSigner } from '../../src/session/record-signer.ts'
import { createRedisSessionStore } from '../../src/session/redis-session-store.ts'
import { hashSessionId } from '../../src/session/session-id.ts'
import { sessionStoreContract, storedValue, type ContractHooks } from './session-store.contract.ts'
import { listingContract } from './session-store.listing.contract.ts'
import { providerLogoutContract } from './session-store.provider-logout.contract.ts'

// A fake clock for Date (ioredis-mock's TTLs read Date.now()); timers stay real.
mock.timers.enable({ apis: ['Date'], now: Date.UTC(2026, 10, 28) })

const hooks: ContractHooks = {
  idleMs: 600_000,
  now: () => Date.now(),
  fastForward: async (ms) => { mock.timers.tick(ms) },
  create: async ({ idleTimeoutMs, absoluteTimeoutMs, maxPerIdentity }) => {
    const client = createMemoryRedisClient()
    const sweeper = createExpirySweeper({ client, now: () => Date.now() })
    const store = createRedisSessionStore({
      client,
      keyPrefix: 'test:',
      timeouts: () => ({ idleMs: idleTimeoutMs, absoluteMs: absoluteTimeoutMs }),
      maxPerIdentity: () => maxPerIdentity ?? 0,
      now: () => Date.now(),
      signer: createRecordSigner({ key: randomBytes(32) }),
      sweeper
    })
    return {
      store,
      client,
      sessionKey: (id) => `test:session:${hashSessionId(id)}`,
      dump: async () => {
        const keys = await client.keys('*')
        return await Promise.all(keys.map(async (k) => [k, await storedValue(client, k)] as [string, string]))
      }
    }
  }
}
sessionStoreContract('in-process store', hooks)
providerLogoutContract('in-process store', hooks)
listingContract('in-process store', hooks)
