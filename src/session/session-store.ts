import type { Identity } from '../auth/identity.ts'

/** A live session, as the store returns it. All times are epoch milliseconds. */
export interface Session {
  /** The signed-in name (`identity.name`); the upstream credential is decided live, never stored. */
  user: string
  /**
   * Who signed in, and from which source. A file user's groups are read from the live config instead;
   * a directory user's are those of the last check.
   */
  identity: Identity
  /** When a directory user's groups were last read (sign-in, then each refresh); undefined for file users. */
  checkedAt: number | undefined
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
  /** The InfluxDB token minted for this session, when its credential is `mint`. */
  minted?: MintedAuthorization
  /** A single sign-on session: the provider's session it came from, for back-channel logout. */
  provider?: ProviderSession
}

/**
 * The identity provider's session a single sign-on session was started from: the ID token's `sub`, and its
 * `sid` when the provider sent one. Nothing else of the provider's tokens is kept.
 */
export interface ProviderSession { sub: string, sid?: string }

/**
 * Which sessions a back-channel logout ends: those of the provider session `sid` (of the subject `sub`
 * too, when both are given), or with only `sub`, every one of that subject.
 */
export type ProviderLogout = { sub: string, sid?: string } | { sub?: string, sid: string }

/** The InfluxDB authorization minted for a session, as its record keeps it. */
export interface MintedAuthorization {
  /** The authorization's id (not a secret: it names the token, it is not the token). */
  authId: string
  /** The token, sealed under a key derived from the session id (src/mint/sealed-token.ts). */
  sealed: string
  /** A digest of the `mint` credential it was minted for: a session whose rule now mints otherwise ends. */
  spec: string
}

/**
 * Called by `create` once the new session's id exists and before it is stored: what it resolves to is
 * kept with the session (a token minted for it). When it throws, no session is created.
 */
export type SessionAttachment = (id: string, ref: string) => Promise<MintedAuthorization | undefined>

/** A session just created: its id (for the cookie only), the session, and the refs of those it ended. */
export interface CreatedSession {
  id: string
  session: Session
  /**
   * The refs of the same identity's sessions this sign-in ended, the oldest-created past
   * `session.maxPerIdentity` (deleted, what they held released): for the audit. Absent or empty: none.
   */
  evicted?: string[]
}

/** What a refresh changes in a session. */
export interface SessionUpdate { groups: string[], checkedAt: number }

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
   * Starts a session for an identity (a bare name is a file user without groups) signed in under `stamp`
   * (see {@link Session.stamp}; without one, a file session fails every stamp check) and, for a directory
   * user, with groups read at `checkedAt`. The id goes into the cookie and nowhere else. `attach` runs
   * once the id exists, before anything is stored (see {@link SessionAttachment}); if storing then fails,
   * undoing what it made is the caller's. When the identity (source and name) then holds more sessions than
   * its cap, its oldest-created ones end in the same step, on every replica sharing the store. `provider`:
   * the provider session a single sign-on session came from, kept with it for {@link endProviderSessions}.
   */
  create (
    identity: Identity | string, stamp?: string, checkedAt?: number, attach?: SessionAttachment, provider?: ProviderSession
  ): Promise<CreatedSession>
  /** The session for an id, renewed unless `renew: false`; undefined if unknown, expired or malformed. */
  get (id: string, opts?: GetSessionOptions): Promise<Session | undefined>
  /**
   * Writes a directory user's re-read groups into a live session, without renewing or reviving it;
   * resolves false when the session has ended meanwhile.
   */
  update (id: string, patch: SessionUpdate): Promise<boolean>
  /** Ends a session; resolves true if it existed. Safe to call twice. */
  destroy (id: string): Promise<boolean>
  /**
   * Marks every live session of a file user (`users:`) as revoked (the user was disabled or removed): each
   * ends at its next request, even if the user is enabled again before that. Sessions of directory or
   * single sign-on users of the same name are not theirs and stay. Resolves to how many were marked.
   */
  revokeUser (user: string): Promise<number>
  /**
   * Ends every live single sign-on session that `logout` names (a back-channel logout), on every replica
   * sharing the store, releasing what each held as a sign-out does; resolves to the sessions it ended.
   */
  endProviderSessions (logout: ProviderLogout): Promise<Session[]>
  /**
   * Which of these minted authorizations a live session holds; an authorization no live session holds
   * is an orphan (its session expired unseen, or the store lost it) and may be deleted.
   */
  heldAuthorizations (authIds: readonly string[]): Promise<Set<string>>
  /** Resolves when the store answers (readiness). */
  ping (): Promise<void>
  /** How many sessions are live, when the store can tell cheaply (metrics); else undefined. */
  count (): Promise<number | undefined>
  /** Releases the store's connections and timers. */
  close (): Promise<void>
}
