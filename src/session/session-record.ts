import type { Identity, IdentitySourceName } from '../auth/identity.ts'
import type { RecordSigner } from './record-signer.ts'
import { sessionRef } from './session-id.ts'
import type { MintedAuthorization, ProviderSession, Session, SessionOrigin } from './session-store.ts'

/**
 * The stored record: the user name, the stamp of the password hash it was signed in under, the two fixed
 * times, when it was last used `l`, and `r` once revoked; for a source other than the file users its name `o`,
 * groups `g` and when they were read `k`; the token minted for it `m` (its authorization id, the token sealed
 * under a key only the session id gives, and the digest of what it was minted for). No id, no usable
 * credential; for a single sign-on session the provider's session `p` (its subject `s`, its `sid` `i`) for
 * back-channel logout. Records without `o` are file users. Stored signed ({@link sealSessionRecord}): every time the
 * gateway decides by is in the record, and the key's TTL only lets Redis collect what has ended.
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
  /** When the session was last used, as last written (sign-in, then a renewal): the idle timeout runs from it. */
  l: number
  m?: { i: string, t: string, p: string }
  p?: { s: string, i?: string }
  /** The client address at sign-in (personal data: shown on the sessions page, gone with the session). */
  h?: string
  /** The client's `User-Agent` at sign-in, bounded (personal data, as `h`). */
  b?: string
}

/** What a new session is created with: the stamp, its creation time and how long it may live at most (ms). */
export interface NewSessionRecord {
  stamp: string | undefined
  createdAt: number
  absoluteMs: number
  /** When the identity's groups were read, for sources that are asked again. */
  checkedAt: number | undefined
  /** The token minted for the session, sealed. */
  minted?: MintedAuthorization
  /** The provider session a single sign-on session came from. */
  provider?: ProviderSession
  /** Where the sign-in came from: the client address and browser. */
  origin?: SessionOrigin
}

/** The record of a new session for `identity`. */
export function newSessionRecord (identity: Identity, opts: NewSessionRecord): SessionRecord {
  const { stamp, createdAt, absoluteMs, checkedAt, minted, provider, origin } = opts
  const m = minted === undefined ? {} : { m: { i: minted.authId, t: minted.sealed, p: minted.spec } }
  const p = provider === undefined ? {} : { p: { s: provider.sub, ...(provider.sid === undefined ? {} : { i: provider.sid }) } }
  const seen = {
    ...(origin?.address === undefined ? {} : { h: origin.address }),
    ...(origin?.userAgent === undefined ? {} : { b: origin.userAgent })
  }
  const times = { c: createdAt, a: createdAt + absoluteMs, l: createdAt }
  return { u: identity.name, s: stamp, ...times, ...identityFields(identity, checkedAt), ...m, ...p, ...seen }
}

/** The record as stored under `key`: JSON without the fields that are undefined, signed for that key. */
export function sealSessionRecord (signer: RecordSigner, key: string, record: SessionRecord): string {
  return signer.sign(key, JSON.stringify(record))
}

/**
 * The record stored as `raw` under `key`, or undefined when there is none, or it is not signed by the
 * gateway for this key (written or copied there by anyone else, or before records were signed), or is
 * not a well-formed record.
 */
export function openSessionRecord (signer: RecordSigner, key: string, raw: string | null): SessionRecord | undefined {
  // SECURITY: whoever can write to Redis could otherwise make any identity, copy one session onto another
  // session's key, or move the times the gateway decides by (`l`, `a`, `k`).
  const value = signer.open('session', key, raw)
  return value === undefined ? undefined : decodeSessionRecord(value)
}

/** The record in `value`, or undefined when it is not a well-formed record. */
function decodeSessionRecord (value: string): SessionRecord | undefined {
  try {
    const r = JSON.parse(value) as Partial<SessionRecord>
    const valid = typeof r.u === 'string' && typeof r.c === 'number' && typeof r.a === 'number' &&
      (r.s === undefined || typeof r.s === 'string') && (r.o === undefined || r.o === 'ldap' || r.o === 'oidc' || r.o === 'proxy') &&
      (r.g === undefined || (Array.isArray(r.g) && r.g.every((g) => typeof g === 'string'))) &&
      (r.k === undefined || typeof r.k === 'number') && typeof r.l === 'number' &&
      (r.m === undefined || (typeof r.m?.i === 'string' && typeof r.m.t === 'string' && typeof r.m.p === 'string')) &&
      (r.p === undefined || (typeof r.p?.s === 'string' && (r.p.i === undefined || typeof r.p.i === 'string'))) &&
      (r.h === undefined || typeof r.h === 'string') && (r.b === undefined || typeof r.b === 'string')
    return valid ? r as SessionRecord : undefined
  } catch {
    return undefined
  }
}

/** The session a record stored under `key` describes, but for its idle expiry (which depends on the live timeout). */
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
    lastUsedAt: record.l,
    ...(record.h === undefined ? {} : { address: record.h }),
    ...(record.b === undefined ? {} : { userAgent: record.b }),
    ...(record.m === undefined ? {} : { minted: { authId: record.m.i, sealed: record.m.t, spec: record.m.p } }),
    ...(record.p === undefined ? {} : { provider: { sub: record.p.s, ...(record.p.i === undefined ? {} : { sid: record.p.i }) } })
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

/**
 * When a record's session ends unless used again: its last use plus the idle timeout, never past its absolute
 * end (as recorded, or sooner under a shorter live `absoluteTimeout`). The one liveness rule reads, rewrites
 * and listings share.
 */
export function idleEndOf (record: SessionRecord, { idleMs, absoluteMs }: { idleMs: number, absoluteMs: number }): number {
  return Math.min(record.l + idleMs, record.a, record.c + absoluteMs)
}
