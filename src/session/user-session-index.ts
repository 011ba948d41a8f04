import type { Redis } from 'ioredis'
import type { ExpirySweeper } from './expiry-sweeper.ts'
import { hashSessionId } from './session-id.ts'

/** What the index needs of a client: satisfied by ioredis `Redis` and by ioredis-mock. */
export type UserSessionIndexClient = Pick<Redis, 'sadd' | 'smembers' | 'srem' | 'scard' | 'exists' | 'pexpire' | 'multi'>

/** Options for {@link createUserSessionIndex}. */
export interface UserSessionIndexOptions {
  client: UserSessionIndexClient
  /** Prefix of every key, e.g. `influx-gateway:`. */
  keyPrefix: string
  /** The in-process store's active expiry; an expired session leaves its user's index with it. */
  sweeper?: ExpirySweeper
}

/** Per user, the keys of their sessions, so a reload can revoke them. */
export interface UserSessionIndex {
  /** Adds a session key; the index lives `ttlMs` from now, as long as that session can. */
  add (user: string, key: string, ttlMs: number): Promise<void>
  remove (user: string, key: string): Promise<void>
  /** The indexed keys; some may belong to sessions that have ended since. */
  keys (user: string): Promise<string[]>
}

/** A user's index of session keys is pruned of ended sessions when it reaches a power of two past this. */
const INDEX_PRUNE_AT = 32

/**
 * The index as a Redis set per user, `<prefix>user:<sha256(user)>`. Only users who signed in get one,
 * so there are at most as many as users; it lives as long as the user's newest session can.
 */
export function createUserSessionIndex ({ client, keyPrefix, sweeper }: UserSessionIndexOptions): UserSessionIndex {
  const indexOf = (user: string): string => `${keyPrefix}user:${hashSessionId(user)}`
  // In process, an expired session leaves its user's index too (an emptied index is gone with it);
  // Redis expires each index by itself, as long after the user's last sign-in as a session can live.
  sweeper?.onExpired((key, user) => { client.srem(indexOf(user), key).catch(() => {}) })
  return {
    async add (user, key, ttlMs) {
      const indexKey = indexOf(user)
      const replies = await client.multi().sadd(indexKey, key).pexpire(indexKey, ttlMs).scard(indexKey).exec()
      const size = Number(replies?.[2]?.[1] ?? 0)
      // Pruned at 64, 128, 256… members: a sign-in costs one round trip, pruning O(1) of them amortised.
      if (size <= INDEX_PRUNE_AT || (size & (size - 1)) !== 0) return
      const members = await client.smembers(indexKey)
      const check = client.multi()
      for (const member of members) check.exists(member)
      const alive = await check.exec()
      const ended = members.filter((_, i) => Number(alive?.[i]?.[1] ?? 0) === 0)
      if (ended.length > 0) await client.srem(indexKey, ...ended)
    },
    async remove (user, key) {
      await client.srem(indexOf(user), key)
    },
    keys: async (user) => await client.smembers(indexOf(user))
  }
}
