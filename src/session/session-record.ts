import type { Identity, IdentitySourceName } from '../auth/identity.ts'
import { sessionRef } from './session-id.ts'
import type { MintedAuthorization, Session } from './session-store.ts'

/**
 * The stored record: the user name, the stamp of the password hash it was signed in under, the two fixed
 * times, and `r` once revoked; for a source other than the file users its name `o`, groups `g` and when
 * they were read `k`; the token minted for it `m` (its authorization id, the token sealed under a key only the
 * session id gives, and the digest of what it was minted for). No id, no usable credential. Records without
 * `o` (older ones too) are file users.
 */
export interface SessionRecord {
  u: string
  s?: string
  r?: 1
  c: number
  a: number
  o?: Exclude<IdentitySourceName, 'file'>
  g?: string[]
  k?: number
  /** How long (ms) the TTL was when last set (sign-in, then a renewal): with the TTL left, when the session was last used. */
  i?: number
  m?: { i: string, t: string, p: string }
}

/** What a new session is created with: the stamp, its creation time and how long it may live at most (ms). */
export interface NewSessionRecord {
  stamp: string | undefined
  createdAt: number
  absoluteMs: number
  /** When the identity's groups were read, for sources that are asked again. */
  checkedAt: number | undefined
  /** The TTL the session starts with (ms). */
  ttlMs: number
  /** The token minted for the session, sealed. */
  minted?: MintedAuthorization
}

/** The record of a new session for `identity`. */
export function newSessionRecord (identity: Identity, opts: NewSessionRecord): SessionRecord {
  const { stamp, createdAt, absoluteMs, checkedAt, ttlMs, minted } = opts
  const m = minted === undefined ? {} : { m: { i: minted.authId, t: minted.sealed, p: minted.spec } }
  return { u: identity.name, s: stamp, c: createdAt, a: createdAt + absoluteMs, i: ttlMs, ...identityFields(identity, checkedAt), ...m }
}

/** The record as stored: JSON, without the fields that are undefined. */
export function encodeSessionRecord (record: SessionRecord): string {
  return JSON.stringify(record)
}

/** The record stored as `raw`, or undefined when there is none or it is not a well-formed record. */
export function decodeSessionRecord (raw: string | null): SessionRecord | undefined {
  if (raw === null) return undefined
  try {
    const r = JSON.parse(raw) as Partial<SessionRecord>
    const valid = typeof r.u === 'string' && typeof r.c === 'number' && typeof r.a === 'number' &&
      (r.s === undefined || typeof r.s === 'string') && (r.o === undefined || r.o === 'ldap' || r.o === 'oidc' || r.o === 'proxy') &&
      (r.g === undefined || (Array.isArray(r.g) && r.g.every((g) => typeof g === 'string'))) &&
      (r.k === undefined || typeof r.k === 'number') && (r.i === undefined || typeof r.i === 'number') &&
      (r.m === undefined || (typeof r.m?.i === 'string' && typeof r.m.t === 'string' && typeof r.m.p === 'string'))
    return valid ? r as SessionRecord : undefined
  } catch {
    return undefined
  }
}

/** The session a record stored under `key` describes, but for its idle expiry (which Redis's TTL holds). */
export function sessionFromRecord (record: SessionRecord, key: string): Omit<Session, 'idleExpiresAt'> {
  const identity: Identity = { name: record.u, source: record.o ?? 'file', groups: record.g ?? [] }
  return {
    user: record.u,
    identity,
    checkedAt: record.k,
    stamp: record.s,
    revoked: record.r === 1,
    createdAt: record.c,
    absoluteExpiresAt: record.a,
    ref: sessionRef(key),
    ...(record.m === undefined ? {} : { minted: { authId: record.m.i, sealed: record.m.t, spec: record.m.p } })
  }
}

/** The record fields of an identity: none for a file user without groups (as records were before sources). */
function identityFields (identity: Identity, checkedAt: number | undefined): Pick<SessionRecord, 'o' | 'g' | 'k'> {
  return {
    ...(identity.source === 'file' ? {} : { o: identity.source }),
    ...(identity.groups.length === 0 ? {} : { g: identity.groups }),
    ...(checkedAt === undefined ? {} : { k: checkedAt })
  }
}
