import type { Redis } from 'ioredis'
import type { ExpirySweeper } from './expiry-sweeper.ts'
import type { Identity, IdentitySourceName } from '../auth/identity.ts'
import type { GetSessionOptions, Session, SessionStore } from './session-store.ts'
import { hashSessionId, isSessionId, newSessionId, sessionRef } from './session-id.ts'
import { unavailableOnFailure } from './store-unavailable.ts'

/** What the store needs of a client: satisfied by ioredis `Redis` and by ioredis-mock. */
export type SessionRedisClient = Pick<Redis, 'set' | 'get' | 'getex' | 'pttl' | 'pexpire' | 'del' | 'ping' | 'quit' | 'disconnect' |
'sadd' | 'smembers' | 'srem' | 'scard' | 'exists'>

/** Options for {@link createRedisSessionStore}. */
export interface RedisSessionStoreOptions {
  client: SessionRedisClient
  /** Prefix of every key, e.g. `influx-gateway:`. */
  keyPrefix: string
  /** The timeouts, read on every call so a config reload applies to live sessions. */
  timeouts: () => { idleMs: number, absoluteMs: number }
  now: () => number
  /** Active expiry, for clients that only expire lazily (the in-process store). */
  sweeper?: ExpirySweeper
}

/**
 * The stored record: the user name, the stamp of the password hash it was signed in under, the two fixed
 * times, and `r` once revoked; for a source other than the file users its name `o`, groups `g` and when
 * they were read `k`. No id, no credential. Records without `o` (older ones too) are file users.
 */
interface SessionRecord { u: string, s?: string, r?: 1, c: number, a: number, o?: Exclude<IdentitySourceName, 'file'>, g?: string[], k?: number }

/** A user's index of session keys is pruned of ended sessions when it grows past this. */
const INDEX_PRUNE_AT = 32

/**
 * The session store over a Redis client: one code path for ioredis against Redis and for ioredis-mock
 * in process. Keys are `<prefix>session:<sha256(id)>`; Redis's TTL carries the idle timeout, capped by
 * the absolute one. Option tokens are uppercase: ioredis-mock ignores `px` silently.
 */
export function createRedisSessionStore (opts: RedisSessionStoreOptions): SessionStore {
  const { client, sweeper, now } = opts
  const keyOf = (id: string): string => `${opts.keyPrefix}session:${hashSessionId(id)}`
  // Per user, the keys of their sessions, so a reload can revoke them. Only users who signed in get one,
  // so there are at most as many as users; it lives as long as the user's newest session can.
  const indexOf = (user: string): string => `${opts.keyPrefix}user:${hashSessionId(user)}`
  // In process, an expired session leaves its user's index too (an emptied index is gone with it);
  // Redis expires each index by itself, as long after the user's last sign-in as a session can live.
  sweeper?.onExpired((key, user) => { client.srem(indexOf(user), key).catch(() => {}) })

  async function read (key: string, renew: boolean): Promise<Session | undefined> {
    const { idleMs, absoluteMs } = opts.timeouts()
    const raw = renew ? await client.getex(key, 'PX', idleMs) : await client.get(key)
    const stored = raw === null ? undefined : decode(raw)
    if (stored === undefined) return undefined
    // A reload that shortens absoluteTimeout applies to live sessions too (never lengthens them).
    const record = { ...stored, a: Math.min(stored.a, stored.c + absoluteMs) }
    const t = now()
    if (t >= record.a) {
      await client.del(key)
      sweeper?.forget(key)
      return undefined
    }
    let idleExpiresAt: number
    if (renew) {
      idleExpiresAt = Math.min(t + idleMs, record.a)
      if (idleExpiresAt === record.a) await client.pexpire(key, record.a - t)
    } else {
      const ttl = await client.pttl(key)
      if (ttl < 0) return undefined
      idleExpiresAt = t + ttl
    }
    return { ...fromRecord(record, key), idleExpiresAt }
  }

  async function index (user: string, key: string, absoluteMs: number): Promise<void> {
    const indexKey = indexOf(user)
    await client.sadd(indexKey, key)
    await client.pexpire(indexKey, absoluteMs)
    if (await client.scard(indexKey) <= INDEX_PRUNE_AT) return
    for (const member of await client.smembers(indexKey)) {
      if (await client.exists(member) === 0) await client.srem(indexKey, member)
    }
  }

  return guarded({
    async create (who, stamp, checkedAt) {
      const identity: Identity = typeof who === 'string' ? { name: who, source: 'file', groups: [] } : who
      const id = newSessionId()
      const key = keyOf(id)
      const createdAt = now()
      const { idleMs, absoluteMs } = opts.timeouts()
      const record: SessionRecord = { u: identity.name, s: stamp, c: createdAt, a: createdAt + absoluteMs, ...identityFields(identity, checkedAt) }
      const ttl = Math.min(idleMs, absoluteMs)
      await client.set(key, JSON.stringify(record), 'PX', ttl, 'NX')
      sweeper?.track(key, createdAt + ttl, identity.name, identity.source)
      await index(identity.name, key, absoluteMs)
      return { id, session: { ...fromRecord(record, key), idleExpiresAt: createdAt + ttl } }
    },
    async get (id, { renew = true }: GetSessionOptions = {}) {
      if (!isSessionId(id)) return undefined
      return await read(keyOf(id), renew)
    },
    async update (id, { groups, checkedAt }) {
      if (!isSessionId(id)) return false
      const key = keyOf(id)
      const record = decode(await client.get(key) ?? '')
      const ttl = await client.pttl(key)
      if (record === undefined || ttl <= 0) return false
      // XX with the remaining TTL: neither renewed nor brought back if it ended in between.
      return await client.set(key, JSON.stringify({ ...record, g: groups, k: checkedAt }), 'PX', ttl, 'XX') === 'OK'
    },
    async destroy (id) {
      if (!isSessionId(id)) return false
      const key = keyOf(id)
      sweeper?.forget(key)
      const record = decode(await client.get(key) ?? '')
      const existed = (await client.del(key)) > 0
      if (record !== undefined) await client.srem(indexOf(record.u), key)
      return existed
    },
    async revokeUser (user) {
      let marked = 0
      for (const key of await client.smembers(indexOf(user))) {
        const raw = await client.get(key)
        const record = raw === null ? undefined : decode(raw)
        const ttl = await client.pttl(key)
        if (record === undefined || record.u !== user || record.r === 1 || ttl <= 0) continue
        // XX: a session that ended in between is not brought back.
        if (await client.set(key, JSON.stringify({ ...record, r: 1 }), 'PX', ttl, 'XX') === 'OK') marked++
      }
      return marked
    },
    async ping () {
      await client.ping()
    },
    // The sweeper watches every in-process session; Redis would need a keyspace scan.
    count: async () => sweeper?.sessions(),
    async close () {
      sweeper?.close()
      // quit() waits for Redis; when it is unreachable there is nothing to wait for.
      await client.quit().catch(() => client.disconnect())
    }
  })
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
    ping: wrap(store.ping)
  }
}

function fromRecord (record: SessionRecord, key: string): Omit<Session, 'idleExpiresAt'> {
  const identity: Identity = { name: record.u, source: record.o ?? 'file', groups: record.g ?? [] }
  return { user: record.u, identity, checkedAt: record.k, stamp: record.s, revoked: record.r === 1, createdAt: record.c, absoluteExpiresAt: record.a, ref: sessionRef(key) }
}

/** The record fields of an identity: none for a file user without groups (as records were before sources). */
function identityFields (identity: Identity, checkedAt: number | undefined): Pick<SessionRecord, 'o' | 'g' | 'k'> {
  return {
    ...(identity.source === 'file' ? {} : { o: identity.source }),
    ...(identity.groups.length === 0 ? {} : { g: identity.groups }),
    ...(checkedAt === undefined ? {} : { k: checkedAt })
  }
}

function decode (raw: string): SessionRecord | undefined {
  try {
    const r = JSON.parse(raw) as Partial<SessionRecord>
    const valid = typeof r.u === 'string' && typeof r.c === 'number' && typeof r.a === 'number' && (r.s === undefined || typeof r.s === 'string') &&
      (r.o === undefined || r.o === 'ldap') && (r.g === undefined || (Array.isArray(r.g) && r.g.every((g) => typeof g === 'string'))) &&
      (r.k === undefined || typeof r.k === 'number')
    return valid ? r as SessionRecord : undefined
  } catch {
    return undefined
  }
}
