/** A live session, as the store returns it. All times are epoch milliseconds. */
export interface Session {
  /** The configured user name; the upstream credential is looked up live, never stored. */
  user: string
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
  /** Starts a session for a user; the id goes into the cookie and nowhere else. */
  create (user: string): Promise<{ id: string, session: Session }>
  /** The session for an id, renewed unless `renew: false`; undefined if unknown, expired or malformed. */
  get (id: string, opts?: GetSessionOptions): Promise<Session | undefined>
  /** Ends a session; resolves true if it existed. Safe to call twice. */
  destroy (id: string): Promise<boolean>
  /** Resolves when the store answers (readiness). */
  ping (): Promise<void>
  /** How many sessions are live, when the store can tell cheaply (metrics); else undefined. */
  count (): Promise<number | undefined>
  /** Releases the store's connections and timers. */
  close (): Promise<void>
}
