import type { Redis } from 'ioredis'
import type { ExpirySweeper } from './expiry-sweeper.ts'
import type { EvictedSession } from './identity-session-index.ts'
import type { LiveSessionCount } from './live-session-count.ts'
import type { MintedIndex } from './minted-index.ts'
import type { RecordSigner } from './record-signer.ts'
import type { RecordSwap, RecordSwapClient } from './record-swap.ts'
import { sessionRef } from './session-id.ts'
import { idleEndOf, openSessionRecord, sealSessionRecord, sessionFromRecord, type SessionRecord } from './session-record.ts'
import type { Session } from './session-store.ts'
import { touchAfterMs } from './cached-session-store.ts'

/**
 * What the store does to one stored session record: read it (deciding both timeouts and renewing it),
 * rewrite it by compare-and-set, revoke it, release what an ended one held. Every change swaps the whole
 * signed value; no signed field is ever edited in place.
 */

/** What reading and rewriting records need: the store's settings, the compare-and-set, the indexes. */
export interface StoreContext {
  client: RecordSwapClient & Pick<Redis, 'get' | 'del'>
  signer: RecordSigner
  timeouts: () => { idleMs: number, absoluteMs: number }
  now: () => number
  sweeper?: ExpirySweeper
  swap: RecordSwap
  live?: LiveSessionCount
  minted: MintedIndex
}

/**
 * How often a change of a record is tried again when another one got in between (a renewal, a refresh or
 * a revocation on another request or replica); then a rewrite fails (503) rather than write over it.
 */
const MAX_SWAPS = 5

/**
 * A session the cap deleted releases what it held, as a sign-out does; resolves to its ref. Only a record
 * that verifies names a token to release.
 */
export function releaseEvicted ({ signer, minted, sweeper, live }: StoreContext): (evicted: EvictedSession) => Promise<string> {
  return async ({ key, record }) => {
    sweeper?.forget(key)
    minted.release(openSessionRecord(signer, key, record)?.m?.i, key)
    await live?.ended(key)
    return sessionRef(key)
  }
}

/**
 * The session stored under `key`, its idle timeout renewed when `renew`; undefined once it has ended.
 * Both timeouts are decided here, by the gateway's clock, from the signed record and the live config: a
 * reload that shortens either applies to live sessions too. A renewal rewrites the whole signed record
 * with the new last use, as one compare-and-set; it is due only once the idle end would move by
 * {@link touchAfterMs} (a tenth of the idle timeout, at most a minute), as the in-process cache renews.
 */
export async function read (ctx: StoreContext, key: string, renew: boolean): Promise<Session | undefined> {
  for (let attempt = 1; ; attempt++) {
    const raw = await ctx.client.get(key)
    const stored = openSessionRecord(ctx.signer, key, raw)
    if (raw === null || stored === undefined) {
      // Expired unseen (Redis or the in-process store dropped it), or not a record of ours: its token goes.
      await ctx.minted.released(key)
      return undefined
    }
    const t = ctx.now()
    const timeouts = ctx.timeouts()
    const record = { ...stored, a: Math.min(stored.a, stored.c + timeouts.absoluteMs) }
    const idleEnd = idleEndOf(stored, timeouts)
    const session = (ends: number): Session => ({ ...sessionFromRecord(record, key), idleExpiresAt: ends })
    if (t >= idleEnd) {
      await expired(ctx, key, raw, stored)
      return undefined
    }
    const renewedEnd = Math.min(t + timeouts.idleMs, record.a)
    // SECURITY: coarse on purpose (one write per tenth of the idle timeout, not per request): a session may
    // end up to that much before its idle timeout after its last use, never after it.
    if (!renew || stored.r === 1 || renewedEnd - idleEnd < touchAfterMs(timeouts.idleMs)) return session(idleEnd)
    // Sent together, one round trip: the count's `ZADD XX` leaves a session that ended meanwhile uncounted.
    const [renewed] = await Promise.all([
      ctx.swap(key, raw, sealSessionRecord(ctx.signer, key, { ...stored, l: t }), renewedEnd - t),
      ctx.live?.renewed(key, renewedEnd)
    ])
    if (renewed) return session(renewedEnd)
    // Changed meanwhile (renewed by a request alongside, revoked, signed out): decide on what is there now.
    if (attempt === MAX_SWAPS) return session(idleEnd)
  }
}

/** Deletes the ended session under `key`, unless it changed since it was read; its minted token is released. */
async function expired (ctx: StoreContext, key: string, raw: string, stored: SessionRecord): Promise<void> {
  if (!await ctx.swap(key, raw, undefined)) return
  ctx.sweeper?.forget(key)
  ctx.minted.release(stored.m?.i, key)
}

/**
 * Marks the sessions under `keys` of `user` revoked; resolves to how many. Their minted tokens are
 * released at once: a revoked session never needs one again.
 */
export async function revokeSessions (ctx: StoreContext, keys: string[], user: string, minted: MintedIndex): Promise<number> {
  let marked = 0
  for (const key of keys) {
    let held: string | undefined
    const revoked = await rewrite(ctx, key, (record) => {
      // Only the file user's own: a directory or single sign-on user of the same name is someone else.
      if (record.u !== user || record.o !== undefined || record.r === 1) return undefined
      held = record.m?.i
      return { ...record, r: 1, m: undefined }
    })
    if (revoked) {
      marked++
      minted.release(held, key)
    }
  }
  return marked
}

/**
 * Rewrites the session stored under `key` as `change` returns it (undefined: leave it), signed anew,
 * neither renewed nor brought back if it ended; false when there is no such session or nothing was
 * written. A compare-and-set: a change that lands in between (a renewal) makes it read and change again,
 * so neither is lost.
 * @throws Error when the record kept changing for {@link MAX_SWAPS} attempts
 */
export async function rewrite (
  ctx: StoreContext, key: string, change: (record: SessionRecord) => SessionRecord | undefined
): Promise<boolean> {
  const timeouts = ctx.timeouts()
  for (let attempt = 0; attempt < MAX_SWAPS; attempt++) {
    const raw = await ctx.client.get(key)
    const record = openSessionRecord(ctx.signer, key, raw)
    if (raw === null || record === undefined) return false
    const left = idleEndOf(record, timeouts) - ctx.now()
    const changed = left <= 0 ? undefined : change(record)
    if (changed === undefined) return false
    if (await ctx.swap(key, raw, sealSessionRecord(ctx.signer, key, changed), left)) return true
  }
  throw new Error('session record kept changing')
}

/**
 * Deletes the session under `key` (a sign-out); its minted token is released when a key was deleted.
 * Resolves to whether one was, and to its record when it was one of ours (only that names an identity).
 */
export async function deleteStored (ctx: StoreContext, key: string): Promise<{ existed: boolean, record?: SessionRecord }> {
  ctx.sweeper?.forget(key)
  const record = openSessionRecord(ctx.signer, key, await ctx.client.get(key))
  const existed = (await ctx.client.del(key)) > 0
  if (existed) ctx.minted.release(record?.m?.i, key)
  await ctx.live?.ended(key)
  return { existed, record }
}
