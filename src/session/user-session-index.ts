import type { Redis } from 'ioredis'
import type { ExpirySweeper } from './expiry-sweeper.ts'
import { hashSessionId } from './session-id.ts'

/** What the index needs of a client: satisfied by ioredis `Redis` and by ioredis-mock. */
export type UserSessionIndexClient = Pick<Redis, 'sadd' | 'smembers' | 'srem' | 'scard' | 'exists' | 'pexpire'>

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

/** A user's index of session keys is pruned of ended sessions when it grows past this. */
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
      await client.sadd(indexKey, key)
      await client.pexpire(indexKey, ttlMs)
      if (await client.scard(indexKey) <= INDEX_PRUNE_AT) return
      for (const member of await client.smembers(indexKey)) {
        if (await client.exists(member) === 0) await client.srem(indexKey, member)
      }
    },
    async remove (user, key) {
      await client.srem(indexOf(user), key)
    },
    keys: async (user) => await client.smembers(indexOf(user))
  }
}
