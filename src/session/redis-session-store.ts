import type { Redis } from 'ioredis'
import type { ExpirySweeper } from './expiry-sweeper.ts'
import type { Identity } from '../auth/identity.ts'
import type { GetSessionOptions, Session, SessionStore } from './session-store.ts'
import { hashSessionId, isSessionId, newSessionId, sessionRef } from './session-id.ts'
import { newSessionRecord, openSessionRecord, sealSessionRecord, sessionFromRecord, type SessionRecord } from './session-record.ts'
import { unavailableOnFailure } from './store-unavailable.ts'
import { touchAfterMs } from './cached-session-store.ts'
import type { RecordSigner } from './record-signer.ts'
import { createRecordSwap, type RecordSwap } from './record-swap.ts'
import { createLiveSessionCount, type LiveSessionCount } from './live-session-count.ts'
import { createUserSessionIndex } from './user-session-index.ts'
import { createMintedIndex, type MintedIndex } from './minted-index.ts'

/** What the store needs of a client: satisfied by ioredis `Redis` and by ioredis-mock. */
export type SessionRedisClient = Pick<Redis, 'set' | 'get' | 'pttl' | 'pexpire' | 'del' | 'ping' | 'quit' | 'disconnect' |
'sadd' | 'smembers' | 'srem' | 'scard' | 'exists' | 'multi' | 'zrem' | 'hset' | 'hdel' | 'hget' | 'hmget' | 'evalsha' | 'eval'>

/** Options for {@link createRedisSessionStore}. */
export interface RedisSessionStoreOptions {
  client: SessionRedisClient
  /** Prefix of every key, e.g. `influx-gateway:`. */
  keyPrefix: string
  /** The timeouts, read on every call so a config reload applies to live sessions. */
  timeouts: () => { idleMs: number, absoluteMs: number }
  now: () => number
  /** Signs the records (`session.recordKey`) and checks them when read back. */
  signer: RecordSigner
  /** Active expiry, for clients that only expire lazily (the in-process store). */
  sweeper?: ExpirySweeper
  /**
   * Told when a session holding a minted token ends here (destroyed, found expired, its user revoked), with
   * the authorization's id and the session's ref: the token must be deleted in InfluxDB. Sessions that Redis
   * expires silently are found by the next request that presents them, else by
   * {@link SessionStore.heldAuthorizations}.
   */
  onReleased?: (authId: string, ref: string) => void
}

/**
 * The session store over a Redis client: one code path for ioredis against Redis and for ioredis-mock
 * in process. Keys are `<prefix>session:<sha256(id)>`, each holding a record signed for its key; the
 * record says when the session was last used and when it ends at the latest, and the gateway decides by
 * those. The key's TTL follows them only so that Redis frees what has ended. Option tokens are uppercase:
 * ioredis-mock ignores `px` silently.
 */
export function createRedisSessionStore (opts: RedisSessionStoreOptions): SessionStore {
  const { client, sweeper, now } = opts
  const keyOf = (id: string): string => `${opts.keyPrefix}session:${hashSessionId(id)}`
  const userIndex = createUserSessionIndex({ client, keyPrefix: opts.keyPrefix, sweeper })
  const minted = createMintedIndex({ client, keyPrefix: opts.keyPrefix, sweeper, onReleased: opts.onReleased })
  // In process the sweeper knows every session; a Redis shared by replicas keeps a count of its own.
  const live = sweeper === undefined ? createLiveSessionCount(client, opts.keyPrefix) : undefined
  const ctx: StoreContext = { ...opts, swap: createRecordSwap(client), live, minted }
  return guarded({
    async create (who, stamp, checkedAt, attach) {
      const identity: Identity = typeof who === 'string' ? { name: who, source: 'file', groups: [] } : who
      const id = newSessionId()
      const key = keyOf(id)
      const attached = await attach?.(id, sessionRef(key))
      const createdAt = now()
      const { idleMs, absoluteMs } = opts.timeouts()
      const ttl = Math.min(idleMs, absoluteMs)
      const record = newSessionRecord(identity, { stamp, createdAt, absoluteMs, checkedAt, minted: attached })
      if (attached !== undefined) await minted.add(attached.authId, key)
      await client.set(key, sealSessionRecord(opts.signer, key, record), 'PX', ttl, 'NX')
      sweeper?.track(key, createdAt + ttl, identity.name, identity.source, attached?.authId)
      await userIndex.add(identity.name, key, absoluteMs)
      await live?.started(key, createdAt + ttl, createdAt)
      return { id, session: { ...sessionFromRecord(record, key), idleExpiresAt: createdAt + ttl } }
    },
    async get (id, { renew = true }: GetSessionOptions = {}) {
      if (!isSessionId(id)) return undefined
      return await read(ctx, keyOf(id), renew)
    },
    async update (id, { groups, checkedAt }) {
      if (!isSessionId(id)) return false
      return await rewrite(ctx, keyOf(id), (record) => ({ ...record, g: groups, k: checkedAt }))
    },
    async destroy (id) {
      if (!isSessionId(id)) return false
      const key = keyOf(id)
      sweeper?.forget(key)
      const record = openSessionRecord(opts.signer, key, await client.get(key))
      const existed = (await client.del(key)) > 0
      if (existed) minted.release(record?.m?.i, key)
      if (record !== undefined) await userIndex.remove(record.u, key)
      await live?.ended(key)
      return existed
    },
    revokeUser: async (user) => await revokeSessions(ctx, await userIndex.keys(user), user, minted),
    heldAuthorizations: async (authIds) => await minted.held(authIds),
    async ping () {
      await client.ping()
    },
    // Metrics only: a Redis that does not answer leaves the gauge without a value rather than fail the scrape.
    count: async () => sweeper?.sessions() ?? await live?.count(now()).catch(() => undefined),
    async close () {
      sweeper?.close()
      // quit() waits for Redis; when it is unreachable there is nothing to wait for.
      await client.quit().catch(() => client.disconnect())
    }
  })
}

/** What reading and rewriting records need: the options, the compare-and-set, the count of live sessions. */
interface StoreContext extends RedisSessionStoreOptions {
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
 * The session stored under `key`, its idle timeout renewed when `renew`; undefined once it has ended.
 * Both timeouts are decided here, by the gateway's clock, from the signed record and the live config: a
 * reload that shortens either applies to live sessions too. A renewal rewrites the whole signed record
 * with the new last use, as one compare-and-set; it is due only once the idle end would move by
 * {@link touchAfterMs} (a tenth of the idle timeout, at most a minute), as the in-process cache renews.
 */
async function read (ctx: StoreContext, key: string, renew: boolean): Promise<Session | undefined> {
  for (let attempt = 1; ; attempt++) {
    const raw = await ctx.client.get(key)
    const stored = openSessionRecord(ctx.signer, key, raw)
    if (raw === null || stored === undefined) {
      // Expired unseen (Redis or the in-process store dropped it), or not a record of ours: its token goes.
      await ctx.minted.released(key)
      return undefined
    }
    const t = ctx.now()
    const { idleMs, absoluteMs } = ctx.timeouts()
    const record = { ...stored, a: Math.min(stored.a, stored.c + absoluteMs) }
    const idleEnd = Math.min(stored.l + idleMs, record.a)
    const session = (ends: number): Session => ({ ...sessionFromRecord(record, key), idleExpiresAt: ends })
    if (t >= idleEnd) {
      await expired(ctx, key, raw, stored)
      return undefined
    }
    const renewedEnd = Math.min(t + idleMs, record.a)
    // SECURITY: coarse on purpose (one write per tenth of the idle timeout, not per request): a session may
    // end up to that much before its idle timeout after its last use, never after it.
    if (!renew || stored.r === 1 || renewedEnd - idleEnd < touchAfterMs(idleMs)) return session(idleEnd)
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
async function revokeSessions (ctx: StoreContext, keys: string[], user: string, minted: MintedIndex): Promise<number> {
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
async function rewrite (ctx: StoreContext, key: string, change: (record: SessionRecord) => SessionRecord | undefined): Promise<boolean> {
  const { idleMs, absoluteMs } = ctx.timeouts()
  for (let attempt = 0; attempt < MAX_SWAPS; attempt++) {
    const raw = await ctx.client.get(key)
    const record = openSessionRecord(ctx.signer, key, raw)
    if (raw === null || record === undefined) return false
    const left = Math.min(record.l + idleMs, record.a, record.c + absoluteMs) - ctx.now()
    const changed = left <= 0 ? undefined : change(record)
    if (changed === undefined) return false
    if (await ctx.swap(key, raw, sealSessionRecord(ctx.signer, key, changed), left)) return true
  }
  throw new Error('session record kept changing')
}

/** Store failures (Redis down, a timeout) become 503 `unavailable`, never a 500 or a sign-out. */
function guarded (store: SessionStore): SessionStore {
  const wrap = unavailableOnFailure
  return {
    ...store,
    create: wrap(store.create),
    get: wrap(store.get),
    update: wrap(store.update),
    destroy: wrap(store.destroy),
    revokeUser: wrap(store.revokeUser),
    heldAuthorizations: wrap(store.heldAuthorizations),
    ping: wrap(store.ping)
  }
}
