import type { GetSessionOptions, Session, SessionStore } from './session-store.ts'

/** Options for {@link createCachedSessionStore}. */
export interface SessionCacheOptions {
  store: SessionStore
  now: () => number
  /**
   * How long a cached session is believed without asking the store, ms (read per call). With a store
   * shared by replicas this bounds how long a sign-out or revocation on another replica goes unseen here;
   * 0 turns the cache off.
   */
  freshMs: () => number
  /** The idle timeout, ms (read per call). */
  idleMs: () => number
  /** At most this many sessions are cached; the least recently cached go first. */
  maxEntries: number
}

/** A session store with an in-process cache in front; `clear` forgets every cached session. */
export interface CachedSessionStore extends SessionStore {
  clear (): void
}

/** Renewals are written at most this often per session: a tenth of the idle timeout, a minute at most. */
export function touchAfterMs (idleMs: number): number {
  return Math.min(60_000, Math.floor(idleMs / 10))
}

interface Entry { session: Session, freshUntil: number }

/**
 * Decoded sessions cached in process, in front of any store, so a busy session costs no store round
 * trip and no store write per request. Sliding renewal is written at most once per
 * {@link touchAfterMs} ("touch after", as connect and oauth2-proxy do): a session then ends between
 * `idleTimeout − touchAfter` and `idleTimeout` after its last use, never later. Expiry is checked on
 * every hit against the cached times; destroy and revokeUser drop the cached entries at once here, and
 * other replicas see them within `freshMs`. Cached by the session id itself (never logged, never stored),
 * so a hit needs no hashing.
 */
export function createCachedSessionStore (opts: SessionCacheOptions): CachedSessionStore {
  const { store, now } = opts
  const cache = new Map<string, Entry>()
  const put = (id: string, session: Session, t: number): void => {
    const freshMs = opts.freshMs()
    if (freshMs <= 0) return
    cache.delete(id)
    cache.set(id, { session, freshUntil: t + freshMs })
    if (cache.size > opts.maxEntries) cache.delete(cache.keys().next().value as string)
  }
  return {
    async create (identity, stamp, checkedAt) {
      const created = await store.create(identity, stamp, checkedAt)
      put(created.id, created.session, now())
      return created
    },
    async update (id, patch) {
      const updated = await store.update(id, patch)
      const hit = cache.get(id)
      if (!updated) cache.delete(id)
      else if (hit !== undefined) {
        const session = { ...hit.session, identity: { ...hit.session.identity, groups: patch.groups }, checkedAt: patch.checkedAt }
        cache.set(id, { ...hit, session })
      }
      return updated
    },
    async get (id: string, getOpts: GetSessionOptions = {}) {
      const t = now()
      const hit = cache.get(id)
      if (hit !== undefined && t < hit.freshUntil && t < hit.session.idleExpiresAt && t < hit.session.absoluteExpiresAt) {
        const renewDue = getOpts.renew !== false && t + opts.idleMs() - hit.session.idleExpiresAt >= touchAfterMs(opts.idleMs())
        if (!renewDue) return hit.session
      }
      const session = await store.get(id, getOpts)
      if (session === undefined) cache.delete(id)
      else put(id, session, t)
      return session
    },
    async destroy (id) {
      cache.delete(id)
      return await store.destroy(id)
    },
    async revokeUser (user) {
      for (const [id, entry] of cache) if (entry.session.user === user) cache.delete(id)
      return await store.revokeUser(user)
    },
    ping: () => store.ping(),
    count: () => store.count(),
    close: () => store.close(),
    clear: () => cache.clear()
  }
}
