import { hash } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { ExpirySweeper } from './expiry-sweeper.ts'
import { addressSubject } from './signin-throttle.ts'
import { unavailableOnFailure } from './store-unavailable.ts'

/** The verdict on starting one more sign-in flow for a client. */
export type FlowAdmission = { admitted: true } | { admitted: false, retryAfterMs: number }

/**
 * Bounds the sign-in flows at an identity provider that one client address has pending, so that one
 * address cannot take every place of the process-wide bound (and lock everyone out of single sign-on).
 */
export interface PendingFlowLimit {
  /**
   * Counts a new flow of `client` (named by its `state`) for `ttlMs`, unless the address already has
   * `max` flows pending: then it is not counted, and `retryAfterMs` says when its oldest one expires.
   * @throws GatewayError `sessionStoreDown` when the store fails
   */
  admit (client: string, state: string, ttlMs: number, max: number): Promise<FlowAdmission>
  /** The flow of `state` was taken (or never stored): it no longer counts against `client`. */
  release (client: string, state: string): Promise<void>
}

/** What the limit needs of a client: ioredis `Redis` or ioredis-mock. */
export type FlowLimitRedisClient = Pick<Redis, 'multi' | 'zrem' | 'del' | 'pttl'>

/** Options for {@link createPendingFlowLimit}. */
export interface PendingFlowLimitOptions {
  client: FlowLimitRedisClient
  keyPrefix: string
  now: () => number
  /** Active expiry for the in-process client (addresses that never come back must not pile up). */
  sweeper?: ExpirySweeper
}

/**
 * Per address (IPv6 per /64, as the sign-in throttle counts them), a sorted set in the session store of
 * its pending flows, each scored by its end: `<prefix>signin-flows-of:<sha256(address)>`, members the
 * digest of each flow's `state` (neither the address nor the state is stored). Admitting trims the ended
 * flows by score, adds the new one and counts, in one MULTI, so replicas sharing Redis share the count
 * and a flow that expires unseen stops counting at its end, not at the next sign-in of the address. The
 * set lives as long as its newest flow (Redis frees it then; in process the sweeper does; after a reload
 * that shortens `flowTimeout`, older flows may stop counting that much early).
 *
 * A flow taken at the callback is released from the set of the address the callback comes from: a
 * browser whose address changed in the middle of a sign-in leaves its flow counted against the old
 * address until the flow's end. A release that leaves a set empty deletes it (Redis drops an empty set
 * itself, ioredis-mock does not); a flow admitted for the same address in that instant can go uncounted,
 * an error towards admitting by one, never towards refusing.
 */
export function createPendingFlowLimit (opts: PendingFlowLimitOptions): PendingFlowLimit {
  const { client, sweeper, now } = opts
  const keyOf = (ip: string): string => `${opts.keyPrefix}signin-flows-of:${hash('sha256', addressSubject(ip), 'base64url').slice(0, 22)}`
  const memberOf = (state: string): string => hash('sha256', state, 'base64url').slice(0, 22)
  return {
    admit: unavailableOnFailure(async (ip: string, state: string, ttlMs: number, max: number): Promise<FlowAdmission> => {
      const key = keyOf(ip)
      const member = memberOf(state)
      const at = now()
      const replies = await client.multi()
        .zremrangebyscore(key, '-inf', at)
        .zadd(key, at + ttlMs, member)
        .zcard(key)
        .pexpire(key, ttlMs)
        .zrange(key, 0, 0, 'WITHSCORES')
        .exec()
      sweeper?.track(key, at + ttlMs)
      const pending = Number(replies?.[2]?.[1] ?? 0)
      if (pending <= max) return { admitted: true }
      await client.zrem(key, member)
      const oldest = Number((replies?.[4]?.[1] as string[] | undefined)?.[1] ?? at + ttlMs)
      return { admitted: false, retryAfterMs: Math.max(1000, oldest - at) }
    }),
    release: unavailableOnFailure(async (ip: string, state: string): Promise<void> => {
      const key = keyOf(ip)
      const replies = await client.multi().zrem(key, memberOf(state)).zcard(key).exec()
      if (Number(replies?.[0]?.[1] ?? 0) === 0 || Number(replies?.[1]?.[1] ?? 1) !== 0) return
      await client.del(key)
      if (sweeper === undefined) return
      sweeper.forget(key)
      // An admit for the address between the count and the forget tracked the key again: keep it tracked.
      const ttl = await client.pttl(key)
      if (ttl > 0) sweeper.track(key, now() + ttl)
    })
  }
}
