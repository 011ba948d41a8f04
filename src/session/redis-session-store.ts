import type { Redis } from 'ioredis'
import type { ExpirySweeper } from './expiry-sweeper.ts'
import type { Identity } from '../auth/identity.ts'
import type { GetSessionOptions, Session, SessionStore } from './session-store.ts'
import { hashSessionId, isSessionId, newSessionId, sessionRef } from './session-id.ts'
import { decodeSessionRecord, encodeSessionRecord, newSessionRecord, sessionFromRecord, type SessionRecord } from './session-record.ts'
import { unavailableOnFailure } from './store-unavailable.ts'
import { createLiveSessionCount, type LiveSessionCount } from './live-session-count.ts'
import { createIdentitySessionIndex, type EvictedSession } from './identity-session-index.ts'
import { createMintedIndex, type MintedIndex } from './minted-index.ts'

/** What the store needs of a client: satisfied by ioredis `Redis` and by ioredis-mock. */
export type SessionRedisClient = Pick<Redis, 'set' | 'get' | 'pttl' | 'pexpire' | 'del' | 'ping' | 'quit' | 'disconnect' |
'exists' | 'multi' | 'zrem' | 'hset' | 'hdel' | 'hmget' | 'duplicate' | 'pipeline'>

/** Options for {@link createRedisSessionStore}. */
export interface RedisSessionStoreOptions {
  client: SessionRedisClient
  /** Prefix of every key, e.g. `influx-gateway:`. */
  keyPrefix: string
  /** The timeouts, read on every call so a config reload applies to live sessions. */
  timeouts: () => { idleMs: number, absoluteMs: number }
  now: () => number
  /**
   * How many sessions one identity (source and name) may hold, read on every sign-in; past it, a sign-in ends
   * the identity's oldest-created ones. 0 (the default): no cap.
   */
  maxPerIdentity?: () => number
  /** Active expiry, for clients that only expire lazily (the in-process store). */
  sweeper?: ExpirySweeper
  /** Active expiry of the per-identity index's keys, in process (a sweeper of their own: their TTLs are longer). */
  indexSweeper?: ExpirySweeper
  /**
   * Told when a session holding a minted token ends here (destroyed, found expired, its user revoked), with
   * the authorization's id and the session's ref: the token must be deleted in InfluxDB. Sessions that Redis
   * expires silently are found by {@link SessionStore.heldAuthorizations} instead.
   */
  onReleased?: (authId: string, ref: string) => void
}

/**
 * The session store over a Redis client: one code path for ioredis against Redis and for ioredis-mock
 * in process. Keys are `<prefix>session:<sha256(id)>`; Redis's TTL carries the idle timeout, capped by
 * the absolute one. Option tokens are uppercase: ioredis-mock ignores `px` silently.
 */
export function createRedisSessionStore (opts: RedisSessionStoreOptions): SessionStore {
  const { client, sweeper, now } = opts
  const keyOf = (id: string): string => `${opts.keyPrefix}session:${hashSessionId(id)}`
  const identities = createIdentitySessionIndex({
    client, keyPrefix: opts.keyPrefix, now, sweeper: opts.indexSweeper, sessionSweeper: sweeper
  })
  const minted = createMintedIndex({ client, keyPrefix: opts.keyPrefix, sweeper, onReleased: opts.onReleased })
  // In process the sweeper knows every session; a Redis shared by replicas keeps a count of its own.
  const live = sweeper === undefined ? createLiveSessionCount(client, opts.keyPrefix) : undefined
  const evict = releaseEvicted(minted, sweeper, live)
  return guarded({
    async create (who, stamp, checkedAt, attach) {
      const identity: Identity = typeof who === 'string' ? { name: who, source: 'file', groups: [] } : who
      const id = newSessionId()
      const key = keyOf(id)
      const attached = await attach?.(id, sessionRef(key))
      const createdAt = now()
      const { idleMs, absoluteMs } = opts.timeouts()
      const ttl = Math.min(idleMs, absoluteMs)
      const record = newSessionRecord(identity, { stamp, createdAt, absoluteMs, checkedAt, ttlMs: ttl, minted: attached })
      if (attached !== undefined) await minted.add(attached.authId, key)
      const stored = { key, record: encodeSessionRecord(record), ttlMs: ttl, absoluteMs }
      const evicted = await identities.start(identity, stored, opts.maxPerIdentity?.() ?? 0)
      sweeper?.track(key, createdAt + ttl, identity.name, identity.source, attached?.authId)
      await live?.started(key, createdAt + ttl, createdAt)
      const ended = await Promise.all(evicted.map(evict))
      return { id, session: { ...sessionFromRecord(record, key), idleExpiresAt: createdAt + ttl }, evicted: ended }
    },
    async get (id, { renew = true }: GetSessionOptions = {}) {
      if (!isSessionId(id)) return undefined
      return await read(opts, keyOf(id), renew, live)
    },
    async update (id, { groups, checkedAt }) {
      if (!isSessionId(id)) return false
      return await rewrite(client, keyOf(id), (record) => ({ ...record, g: groups, k: checkedAt }))
    },
    async destroy (id) {
      if (!isSessionId(id)) return false
      const key = keyOf(id)
      sweeper?.forget(key)
      const record = decodeSessionRecord(await client.get(key))
      const existed = (await client.del(key)) > 0
      if (existed) minted.release(record?.m?.i, key)
      if (record !== undefined) await identities.remove({ name: record.u, source: record.o ?? 'file' }, key)
      await live?.ended(key)
      return existed
    },
    revokeUser: async (user) => await revokeSessions(client, await identities.keys({ name: user, source: 'file' }), user, minted),
    heldAuthorizations: async (authIds) => await minted.held(authIds),
    async ping () {
      await client.ping()
    },
    // Metrics only: a Redis that does not answer leaves the gauge without a value rather than fail the scrape.
    count: async () => sweeper?.sessions() ?? await live?.count(now()).catch(() => undefined),
    async close () {
      sweeper?.close()
      opts.indexSweeper?.close()
      await identities.close()
      // quit() waits for Redis; when it is unreachable there is nothing to wait for.
      await client.quit().catch(() => client.disconnect())
    }
  })
}

/** A session the cap deleted releases what it held, as a sign-out does; resolves to its ref. */
function releaseEvicted (
  minted: MintedIndex, sweeper: ExpirySweeper | undefined, live: LiveSessionCount | undefined
): (evicted: EvictedSession) => Promise<string> {
  return async ({ key, record }) => {
    sweeper?.forget(key)
    minted.release(decodeSessionRecord(record)?.m?.i, key)
    await live?.ended(key)
    return sessionRef(key)
  }
}

/**
 * The session stored under `key`, its idle timeout renewed when `renew`; undefined once it has ended.
 * The record says how long the TTL was when last set (`i`), so the TTL left tells when the session was last
 * used: a reload that shortens either timeout applies to live sessions too (never lengthens them).
 */
async function read (opts: RedisSessionStoreOptions, key: string, renew: boolean, live?: LiveSessionCount): Promise<Session | undefined> {
  const { client } = opts
  const { idleMs, absoluteMs } = opts.timeouts()
  const replies = await client.multi().get(key).pttl(key).exec()
  const stored = decodeSessionRecord((replies?.[0]?.[1] ?? null) as string | null)
  const ttl = Number(replies?.[1]?.[1] ?? -2)
  if (stored === undefined || ttl < 0) return undefined
  const record = { ...stored, a: Math.min(stored.a, stored.c + absoluteMs) }
  const t = opts.now()
  const lastUse = t - Math.max(0, (stored.i ?? idleMs) - ttl)
  if (t >= record.a || t >= lastUse + idleMs) {
    const deleted = await client.del(key)
    opts.sweeper?.forget(key)
    if (deleted > 0 && stored.m !== undefined) opts.onReleased?.(stored.m.i, sessionRef(key))
    return undefined
  }
  if (!renew) return { ...sessionFromRecord(record, key), idleExpiresAt: Math.min(lastUse + idleMs, record.a) }
  const length = Math.min(idleMs, record.a - t)
  // The usual renewal moves only the expiry; a new length (near the absolute end, after a reload) is
  // written into the record too. XX: a session that ended in between is not brought back.
  const renewed = length === stored.i
    ? await client.pexpire(key, length) === 1
    : await client.set(key, encodeSessionRecord({ ...stored, i: length }), 'PX', length, 'XX') === 'OK'
  if (!renewed) return undefined
  await live?.renewed(key, t + length)
  return { ...sessionFromRecord(record, key), idleExpiresAt: t + length }
}

/**
 * Marks the sessions under `keys` of `user` revoked; resolves to how many. Their minted tokens are
 * released at once: a revoked session never needs one again.
 */
async function revokeSessions (client: SessionRedisClient, keys: string[], user: string, minted: MintedIndex): Promise<number> {
  let marked = 0
  for (const key of keys) {
    let held: string | undefined
    const revoked = await rewrite(client, key, (record) => {
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
 * Rewrites the session stored under `key` as `change` returns it (undefined: leave it), keeping its
 * remaining TTL; false when there is no such session or nothing was written.
 */
async function rewrite (
  client: SessionRedisClient, key: string, change: (record: SessionRecord) => SessionRecord | undefined
): Promise<boolean> {
  const record = decodeSessionRecord(await client.get(key))
  const ttl = await client.pttl(key)
  const changed = record === undefined || ttl <= 0 ? undefined : change(record)
  if (changed === undefined) return false
  // XX with the remaining TTL: neither renewed nor brought back if it ended in between.
  return await client.set(key, encodeSessionRecord(changed), 'PX', ttl, 'XX') === 'OK'
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
