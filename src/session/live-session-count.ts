import type { Redis } from 'ioredis'

/** What the count needs of a client: ioredis `Redis` (the in-process store counts through its sweeper). */
export type LiveSessionCountClient = Pick<Redis, 'multi' | 'zrem'>

/**
 * How many sessions are live in a Redis shared by replicas, without a keyspace scan: a sorted set
 * `<prefix>sessions` of session keys scored by when each ends if unused. Sign-in adds (and trims what has
 * ended, so the set never outgrows the live sessions for long), a renewal moves the score, a sign-out
 * removes; counting trims and reads the size. Sessions Redis expired are counted until their score passes.
 */
export interface LiveSessionCount {
  /** A session that ends at `endsAt` (epoch ms) unless renewed; `now` trims the ended ones. */
  started (key: string, endsAt: number, now: number): Promise<void>
  renewed (key: string, endsAt: number): Promise<void>
  ended (key: string): Promise<void>
  count (now: number): Promise<number>
}

/** Creates the count for the keys under `keyPrefix`. */
export function createLiveSessionCount (client: LiveSessionCountClient, keyPrefix: string): LiveSessionCount {
  const setKey = `${keyPrefix}sessions`
  return {
    async started (key, endsAt, now) {
      await client.multi().zadd(setKey, endsAt, key).zremrangebyscore(setKey, '-inf', now).exec()
    },
    async renewed (key, endsAt) {
      await client.multi().zadd(setKey, 'XX', endsAt, key).exec()
    },
    async ended (key) {
      await client.zrem(setKey, key)
    },
    async count (now) {
      const replies = await client.multi().zremrangebyscore(setKey, '-inf', now).zcard(setKey).exec()
      return Number(replies?.[1]?.[1] ?? 0)
    }
  }
}
