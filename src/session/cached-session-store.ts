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
  /**
   * The session as `get` would answer it from the cache alone, synchronously; undefined when `get` would
   * have to ask the store (not cached, no longer fresh, expired, or a renewal due).
   */
  peek (id: string, opts?: GetSessionOptions): Session | undefined
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
 * every hit against the cached times; destroy, revokeUser and the ends by ref, owner and all drop the cached entries at once here, and
 * other replicas see them within `freshMs`. Cached by the session id itself (never logged, never stored),
 * so a hit needs no hashing.
 */
export function createCachedSessionStore (opts: SessionCacheOptions): CachedSessionStore {
  const { store, now } = opts
  const cache = new SessionCache(opts)
  return {
    async create (identity, stamp, checkedAt, attach, extras) {
      const readAt = cache.generation
      const created = await store.create(identity, stamp, checkedAt, attach, extras)
      // SECURITY: a session the cap ended is gone here at once, not after `freshMs` (a read in flight cannot put it back).
      if (created.evicted !== undefined && created.evicted.length > 0) cache.dropRefs(created.evicted)
      cache.put(created.id, created.session, now(), readAt)
      return created
    },
    async update (id, patch) {
      const updated = await store.update(id, patch)
      if (!updated) cache.drop(id)
      else cache.patch(id, (s) => ({ ...s, identity: { ...s.identity, groups: patch.groups }, checkedAt: patch.checkedAt }))
      return updated
    },
    peek: (id, getOpts = {}) => cache.hit(id, now(), getOpts.renew !== false),
    async get (id: string, getOpts: GetSessionOptions = {}) {
      const t = now()
      const hit = cache.hit(id, t, getOpts.renew !== false)
      if (hit !== undefined) return hit
      const readAt = cache.generation
      const session = await store.get(id, getOpts)
      if (session === undefined) cache.drop(id)
      else cache.put(id, session, t, readAt)
      return session
    },
    destroy: (id) => cache.ending(() => store.destroy(id), () => cache.drop(id)),
    revokeUser: (user) => cache.ending(() => store.revokeUser(user), () => cache.dropUser(user)),
    async endProviderSessions (logout) {
      const ended = await cache.ending(() => store.endProviderSessions(logout), () => {})
      // SECURITY: gone here at once, not after `freshMs` (a read in flight cannot put them back).
      cache.dropRefs(ended.map((s) => s.ref))
      return ended
    },
    list: (owner, limit) => store.list(owner, limit),
    // SECURITY: what ends here is gone from this replica's cache at once; other replicas drop it within `freshMs`.
    endByRef: (ref, owner) => cache.ending(() => store.endByRef(ref, owner), () => cache.dropRefs([ref])),
    endOwner: (owner, keep) => cache.ending(() => store.endOwner(owner, keep), () => cache.dropOwner(owner.name, owner.source)),
    endAll: () => cache.ending(() => store.endAll(), () => cache.clear()),
    heldAuthorizations: (authIds) => store.heldAuthorizations(authIds),
    ping: () => store.ping(),
    count: () => store.count(),
    close: () => store.close(),
    clear: () => cache.clear()
  }
}

/** The cached entries, their bound, and the generation that reads in flight are checked against. */
class SessionCache {
  /**
   * Bumped by everything that ends or changes sessions, before and after the store is told: a read that
   * was in flight meanwhile must not put back what it read.
   */
  generation = 0
  private readonly entries = new Map<string, Entry>()
  /** Session ref → cached id, to drop the sessions the store ended by ref (the cap). */
  private readonly ids = new Map<string, string>()

  constructor (private readonly opts: SessionCacheOptions) {}

  /** The cached session, when fresh, unexpired and (for a renewing read) not due for a renewal write. */
  hit (id: string, t: number, renew: boolean): Session | undefined {
    const entry = this.entries.get(id)
    if (entry === undefined || t >= entry.freshUntil) return undefined
    if (t >= entry.session.idleExpiresAt || t >= entry.session.absoluteExpiresAt) return undefined
    const idleMs = this.opts.idleMs()
    const renewDue = renew && t + idleMs - entry.session.idleExpiresAt >= touchAfterMs(idleMs)
    return renewDue ? undefined : entry.session
  }

  put (id: string, session: Session, t: number, readAt: number): void {
    const freshMs = this.opts.freshMs()
    if (freshMs <= 0 || readAt !== this.generation) return
    this.drop(id)
    this.entries.set(id, { session, freshUntil: t + freshMs })
    this.ids.set(session.ref, id)
    if (this.entries.size > this.opts.maxEntries) this.drop(this.entries.keys().next().value as string)
  }

  patch (id: string, change: (session: Session) => Session): void {
    const entry = this.entries.get(id)
    if (entry !== undefined) this.entries.set(id, { ...entry, session: change(entry.session) })
  }

  drop (id: string): void {
    const entry = this.entries.get(id)
    if (entry === undefined) return
    this.entries.delete(id)
    if (this.ids.get(entry.session.ref) === id) this.ids.delete(entry.session.ref)
  }

  /** Drops the sessions with these refs, and anything read before. */
  dropRefs (refs: readonly string[]): void {
    this.generation++
    for (const ref of refs) {
      const id = this.ids.get(ref)
      if (id !== undefined) this.drop(id)
    }
  }

  dropUser (user: string): void {
    for (const [id, entry] of this.entries) if (entry.session.user === user) this.drop(id)
  }

  dropOwner (name: string, source: string): void {
    for (const [id, entry] of this.entries) if (entry.session.user === name && entry.session.identity.source === source) this.drop(id)
  }

  clear (): void {
    this.generation++
    this.entries.clear()
    this.ids.clear()
  }

  /** Runs a store operation that ends sessions, dropping them here before and after it. */
  async ending<T> (op: () => Promise<T>, drop: () => void): Promise<T> {
    this.generation++
    drop()
    try {
      return await op()
    } finally {
      this.generation++
      drop()
    }
  }
}
