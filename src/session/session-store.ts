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
  /**
   * When the session was last used, as the store keeps it: written at sign-in and at each renewal, so to
   * within a tenth of the idle timeout (at most a minute).
   */
  lastUsedAt: number
  /** The client address at sign-in (personal data, kept only as long as the session). */
  address?: string
  /** The client's `User-Agent` at sign-in, at most {@link MAX_USER_AGENT_CHARS} characters (personal data, as `address`). */
  userAgent?: string
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

/** The longest `User-Agent` a session keeps; a longer one is cut. */
export const MAX_USER_AGENT_CHARS = 256

/** What a new session keeps besides its identity: its provider session, and where the sign-in came from. */
export interface SessionExtras { provider?: ProviderSession, origin?: SessionOrigin }

/** Where a sign-in came from, kept with its session for its user and the administrators to see. */
export interface SessionOrigin { address?: string, userAgent?: string }

/** Whose sessions to list or end: an identity (source and name; a name from another source is another person). */
export interface SessionOwner { name: string, source: Identity['source'] }

/** Sessions as listed: at most the listing's bound, and whether more were left out. */
export interface SessionListing { sessions: Session[], truncated: boolean }

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
    identity: Identity | string, stamp?: string, checkedAt?: number, attach?: SessionAttachment, extras?: SessionExtras
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
   * The live sessions of `owner` (through its identity index), or of everyone (a bounded SCAN of the session
   * keys: at most `limit`, `truncated` when more were left out), oldest first. Revoked ones are not listed.
   */
  list (owner: SessionOwner | undefined, limit: number): Promise<SessionListing>
  /**
   * Ends the live session whose ref is `ref`, looked for among `owner`'s only (or everyone's); resolves to
   * it, or undefined when no such session lives. What it held is released as by `destroy`.
   */
  endByRef (ref: string, owner: SessionOwner | undefined): Promise<Session | undefined>
  /**
   * Ends every live session of `owner` (on every replica sharing the store) but the one whose ref is `keep`,
   * when given; resolves to those ended.
   */
  endOwner (owner: SessionOwner, keep?: string): Promise<Session[]>
  /** Ends every live session (a SCAN of all session keys, in batches); resolves to those ended. */
  endAll (): Promise<Session[]>
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
