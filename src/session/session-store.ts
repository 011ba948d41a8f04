/** A live session, as the store returns it. All times are epoch milliseconds. */
export interface Session {
  /** The configured user name; the upstream credential is looked up live, never stored. */
  user: string
  /**
   * A digest of the user's password hash at sign-in: the session is valid only while the user's current
   * one matches (a password change ends it). Undefined for records written before it existed.
   */
  stamp: string | undefined
  /** True once the user was disabled or removed while this session lived (a reload): it must end. */
  revoked: boolean
  createdAt: number
  /** When the session ends if unused. */
  idleExpiresAt: number
  /** When the session ends however busy (`session.absoluteTimeout` after sign-in). */
  absoluteExpiresAt: number
  /** A short, non-secret reference for logs (a prefix of the id's hash), never the id. */
  ref: string
}

/** Options for reading a session. */
export interface GetSessionOptions {
  /** Extend the idle timeout (default true); passive requests such as polling pass false. */
  renew?: boolean
}

/**
 * Keeps sessions. Ids are never stored: implementations key on a hash of the id. The store enforces
 * both timeouts, so `get` never returns an expired session.
 */
export interface SessionStore {
  /**
   * Starts a session for a user signed in under `stamp` (see {@link Session.stamp}; without one, the
   * session fails every stamp check); the id goes into the cookie and nowhere else.
   */
  create (user: string, stamp?: string): Promise<{ id: string, session: Session }>
  /** The session for an id, renewed unless `renew: false`; undefined if unknown, expired or malformed. */
  get (id: string, opts?: GetSessionOptions): Promise<Session | undefined>
  /** Ends a session; resolves true if it existed. Safe to call twice. */
  destroy (id: string): Promise<boolean>
  /**
   * Marks every live session of a user as revoked (the user was disabled or removed): each ends at its
   * next request, even if the user is enabled again before that. Resolves to how many were marked.
   */
  revokeUser (user: string): Promise<number>
  /** Resolves when the store answers (readiness). */
  ping (): Promise<void>
  /** How many sessions are live, when the store can tell cheaply (metrics); else undefined. */
  count (): Promise<number | undefined>
  /** Releases the store's connections and timers. */
  close (): Promise<void>
}
