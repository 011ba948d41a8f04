import { hash } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { Identity } from '../auth/identity.ts'
import type { ExpirySweeper } from './expiry-sweeper.ts'
import { META_FIELDS, pageKey, parseMeta, readIndexPages, type Meta } from './read-index-pages.ts'
import { waitForReplicas, type ReplicaWait } from './wait-for-replicas.ts'

/** What the index needs of a client: satisfied by ioredis `Redis` and by ioredis-mock. */
export type IdentitySessionIndexClient = Pick<Redis, 'duplicate' | 'hmget' | 'pipeline'>

/** The connection the index's transactions run on (WATCH belongs to a connection: never a shared one). */
type TxClient = Pick<Redis, 'watch' | 'unwatch' | 'hmget' | 'mget' | 'exists' | 'zscore' | 'pipeline' | 'multi' | 'quit' | 'disconnect' |
'wait'>

/** Options for {@link createIdentitySessionIndex}. */
export interface IdentitySessionIndexOptions {
  client: IdentitySessionIndexClient
  /** Prefix of every key, e.g. `influx-gateway:`. */
  keyPrefix: string
  now: () => number
  /** In process: a sweeper of the index's own keys (ioredis-mock frees an expired key only when it is read). */
  sweeper?: ExpirySweeper
  /** In process: the store's session sweeper; a session it finds expired leaves its identity's index. */
  sessionSweeper?: ExpirySweeper
  /**
   * A new session is stored only once `replicas` replicas confirm they have it (`WAIT`, at most `timeoutMs`);
   * else {@link IdentitySessionIndex.start} fails. Unset: the primary's answer suffices (a lone Redis).
   */
  waitReplicas?: ReplicaWait
}

/** A session to store: its key, its encoded record, its TTL and how long it may live at most. */
export interface IndexedSession { key: string, record: string, ttlMs: number, absoluteMs: number }

/** A session the cap ended: its key and its record as it was stored (to release what it held). */
export interface EvictedSession { key: string, record: string }

/** Who an index belongs to: the source and the name, so a file user and a directory user of one name are two. */
export type IdentityKey = Pick<Identity, 'name' | 'source'>

/**
 * Per identity (source and name), the keys of its sessions in creation order: to cap how many it holds and
 * to end them all. Nothing in it is secret (session keys are hashes of the ids).
 */
export interface IdentitySessionIndex {
  /**
   * Stores a new session (`SET NX` with its TTL) and indexes it, in one transaction; with `cap` > 0 the same
   * transaction deletes the identity's oldest-created live sessions past `cap`, new one included in the count.
   * Resolves to the sessions it deleted. Atomic across replicas sharing a Redis.
   */
  start (identity: IdentityKey, session: IndexedSession, cap: number): Promise<EvictedSession[]>
  /**
   * Takes an ended session out of its identity's index when it is in one of the two newest pages (always,
   * under a cap); elsewhere it is dropped when the cap next counts, or expires with its page.
   */
  remove (identity: IdentityKey, key: string): Promise<void>
  /** The session keys indexed for an identity; some may belong to sessions that have ended since. */
  keys (identity: IdentityKey): Promise<string[]>
  close (): Promise<void>
}

/**
 * Entries per page. ioredis-mock copies a whole sorted set on every command, so no page may grow with the
 * sessions: an identity's index is a run of pages, each a sorted set of at most this many session keys.
 */
const PAGE_SIZE = 128
/** A transaction that keeps losing to another replica's gives up (a 503) rather than loop. */
const MAX_ATTEMPTS = 16

/**
 * The index as Redis keys: per identity `<prefix>identity:<sha256(source NUL name)>` (a small hash, {@link Meta})
 * and pages `<…>:<n>`, sorted sets of session keys in creation order; every key lives as long as
 * the newest session in it can. Entries of ended sessions are dropped when the cap counts (lazily), or
 * when their page expires. Transactions run one at a time per replica on a connection of their own,
 * under WATCH of the identity's hash: a replica that lost a race reads again and retries.
 */
export function createIdentitySessionIndex (opts: IdentitySessionIndexOptions): IdentitySessionIndex {
  const { client, keyPrefix } = opts
  let tx: TxClient | undefined
  // Opened at the first sign-in; the main client reports the connection's state, this one must not print to the console.
  const connection = (): TxClient => {
    if (tx !== undefined) return tx
    const opened = client.duplicate()
    opened.on('error', () => {})
    return (tx = opened)
  }
  let queue: Promise<unknown> = Promise.resolve()
  /** Runs `attempt` on the transaction connection, after the transactions before it, until it commits. */
  const transaction = <T>(attempt: (tx: TxClient) => Promise<T | null>): Promise<T> => {
    const run = async (): Promise<T> => {
      for (let i = 0; i < MAX_ATTEMPTS; i++) {
        const done = await attempt(connection())
        if (done !== null) return done
      }
      throw new Error('the session index stayed contended')
    }
    const next = queue.then(run, run)
    queue = next.catch(() => {})
    return next
  }
  const metaOf = (identity: IdentityKey): string =>
    `${keyPrefix}identity:${hash('sha256', `${identity.source}\0${identity.name}`, 'base64url')}`
  const remove = async (identity: IdentityKey, key: string): Promise<void> => {
    await transaction(async (tx) => await removeOnce(tx, metaOf(identity), key, opts))
  }
  opts.sessionSweeper?.onExpired((key, name, source) => {
    remove({ name, source: (source ?? 'file') as IdentityKey['source'] }, key).catch(() => {})
  })
  return {
    start: (identity, session, cap) => transaction(async (tx) => await startOnce(tx, metaOf(identity), session, cap, opts)),
    remove,
    async keys (identity) {
      const meta = metaOf(identity)
      const { lo, hi } = parseMeta(await client.hmget(meta, ...META_FIELDS))
      const pages = await readIndexPages(client, meta, lo, hi)
      return pages === null ? [] : [...new Set(pages.map((e) => e.key))]
    },
    async close () {
      const open = tx
      await open?.quit().catch(() => open.disconnect())
    }
  }
}

/** One attempt of {@link IdentitySessionIndex.start}; null when another replica changed the identity's index meanwhile. */
async function startOnce (
  tx: TxClient, meta: string, session: IndexedSession, cap: number, opts: IdentitySessionIndexOptions
): Promise<EvictedSession[] | null> {
  await tx.unwatch()
  await tx.watch(meta)
  const m = parseMeta(await tx.hmget(meta, ...META_FIELDS))
  if (cap > 0 && m.t + 1 > cap) return await trimAndAdd(tx, meta, m, session, cap, opts)
  const page = m.c >= PAGE_SIZE ? m.hi + 1 : m.hi
  // A page whose sessions have all ended expires: the run starts at the oldest one still there.
  let lo = m.lo
  while (lo < page && await tx.exists(pageKey(meta, lo)) === 0) lo++
  const write = tx.multi().set(session.key, session.record, 'PX', session.ttlMs, 'NX')
    .zadd(pageKey(meta, page), m.n + 1, session.key).pexpire(pageKey(meta, page), session.absoluteMs)
  const next = { lo, hi: page, c: page === m.hi ? m.c + 1 : 1, t: m.t + 1, n: m.n + 1 }
  const done = await commit(write, meta, next, session.absoluteMs).exec()
  if (done === null) return null
  await waitForReplicas(tx, opts.waitReplicas)
  track(opts, [meta, pageKey(meta, page)], session.absoluteMs)
  return []
}

/**
 * Over the cap: reads every entry, keeps the live ones, and rewrites the index as one page holding the
 * newest `cap - 1` live sessions and the new one; the older live sessions are deleted in the same transaction.
 */
async function trimAndAdd (
  tx: TxClient, meta: string, m: Meta, session: IndexedSession, cap: number, opts: IdentitySessionIndexOptions
): Promise<EvictedSession[] | null> {
  const entries = await readIndexPages(tx, meta, m.lo, m.hi)
  if (entries === null) return null
  const records = entries.length === 0 ? [] : await tx.mget(...entries.map((e) => e.key))
  const live = entries.flatMap((e, i) => { const record = records[i]; return typeof record === 'string' ? [{ ...e, record }] : [] })
  live.sort((a, b) => a.score - b.score)
  // SECURITY: one password must not hold unbounded sessions (each may hold a minted InfluxDB token): the oldest go.
  const evicted = live.slice(0, Math.max(0, live.length + 1 - cap))
  const kept = [...live.slice(evicted.length), { key: session.key, score: m.n + 1 }]
  const page = m.hi + 1
  const write = tx.multi().set(session.key, session.record, 'PX', session.ttlMs, 'NX')
  for (let p = m.lo; p <= m.hi; p++) write.del(pageKey(meta, p))
  for (const e of evicted) write.del(e.key)
  write.zadd(pageKey(meta, page), ...kept.flatMap((e) => [e.score, e.key])).pexpire(pageKey(meta, page), session.absoluteMs)
  const done = await commit(write, meta, { lo: page, hi: page, c: kept.length, t: kept.length, n: m.n + 1 }, session.absoluteMs).exec()
  if (done === null) return null
  await waitForReplicas(tx, opts.waitReplicas)
  for (let p = m.lo; p <= m.hi; p++) opts.sweeper?.forget(pageKey(meta, p))
  track(opts, [meta, pageKey(meta, page)], session.absoluteMs)
  // Only those this transaction deleted: one a sign-out ended meanwhile is not ended twice.
  const deleted = done.slice(2 + m.hi - m.lo, 2 + m.hi - m.lo + evicted.length).map((reply) => Number(reply[1]) === 1)
  return evicted.filter((_, i) => deleted[i] === true).map((e) => ({ key: e.key, record: e.record }))
}

/** One attempt of {@link IdentitySessionIndex.remove}; null when another replica changed the index meanwhile. */
async function removeOnce (tx: TxClient, meta: string, key: string, opts: IdentitySessionIndexOptions): Promise<true | null> {
  await tx.unwatch()
  await tx.watch(meta)
  const m = parseMeta(await tx.hmget(meta, ...META_FIELDS))
  let page: number | undefined
  for (let p = m.hi; p >= Math.max(m.lo, m.hi - 1) && page === undefined; p--) {
    if (await tx.zscore(pageKey(meta, p), key) !== null) page = p
  }
  if (page === undefined) return true
  const write = tx.multi().zrem(pageKey(meta, page), key)
  // The last entry: the index goes (ioredis-mock would keep an emptied sorted set).
  if (m.t > 1) write.hincrby(meta, 't', -1)
  else write.del(meta, pageKey(meta, page))
  if (await write.exec() === null) return null
  if (m.t <= 1) for (const k of [meta, pageKey(meta, page)]) opts.sweeper?.forget(k)
  return true
}

type Multi = ReturnType<TxClient['multi']>

/** Adds the meta's update to a transaction: it is what the WATCH of other replicas sees change. */
function commit (write: Multi, meta: string, m: Meta, ttlMs: number): Multi {
  return write.hset(meta, 'lo', m.lo, 'hi', m.hi, 'c', m.c, 't', m.t, 'n', m.n).pexpire(meta, ttlMs)
}

/** In process, the sweeper frees these keys once they expire. */
function track (opts: IdentitySessionIndexOptions, keys: string[], ttlMs: number): void {
  const dueAt = opts.now() + ttlMs
  for (const key of keys) opts.sweeper?.track(key, dueAt)
}
