import type { UpstreamCredential } from '../auth/access-rules.ts'
import type { MintSpec } from '../config/influx-permissions.ts'
import type { Session } from '../session/session-store.ts'
import { specDigest } from './mint-spec.ts'
import { unsealToken } from './sealed-token.ts'

/** Unsealed tokens kept in process, as many as sessions are cached. */
const ENTRIES = 50_000

/** The minted tokens of live sessions, unsealed once and kept in process, by session id. */
export interface MintedCredentials {
  remember (id: string, authId: string, token: string): UpstreamCredential
  /** Drops the token of a revoked authorization. */
  forget (authId: string): void
  /** The session's credential for `spec`: undefined when it holds no token minted for that spec. */
  get (id: string, session: Session, spec: MintSpec): UpstreamCredential | undefined
}

/**
 * The cache the request path reads: a hit is one Map lookup (as the session cache's), a miss one HKDF and
 * one AES-GCM decryption. Keyed by the session id, held in process only, like the session cache.
 */
export function createMintedCredentials (): MintedCredentials {
  const credentials = new Map<string, { authId: string, credential: UpstreamCredential }>()
  const sessionOf = new Map<string, string>()
  const drop = (id: string | undefined): void => {
    const entry = id === undefined ? undefined : credentials.get(id)
    if (entry === undefined) return
    credentials.delete(id as string)
    sessionOf.delete(entry.authId)
  }
  const remember = (id: string, authId: string, token: string): UpstreamCredential => {
    const credential = { token }
    drop(id)
    credentials.set(id, { authId, credential })
    sessionOf.set(authId, id)
    if (credentials.size > ENTRIES) drop(credentials.keys().next().value)
    return credential
  }
  return {
    remember,
    forget: (authId) => drop(sessionOf.get(authId)),
    get (id, session, spec) {
      const held = session.minted
      if (held === undefined || held.spec !== specDigest(spec)) return undefined
      const hit = credentials.get(id)
      if (hit?.authId === held.authId) return hit.credential
      const token = unsealToken(id, held.authId, held.sealed)
      return token === undefined ? undefined : remember(id, held.authId, token)
    }
  }
}
