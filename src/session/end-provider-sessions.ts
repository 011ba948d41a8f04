import type { SessionRecord } from './session-record.ts'
import type { ProviderLogout } from './session-store.ts'

/**
 * Whether a session's record is of the provider session (and subject) a back-channel logout names.
 * SECURITY: the provider index is a hint anyone with access to Redis could write; only the signed record
 * says whose session it is, so a logout of one provider session never ends another's of the same name.
 */
export function namedBy (record: SessionRecord, logout: ProviderLogout): boolean {
  const p = record.p
  if (record.o !== 'oidc' || p === undefined) return false
  if (logout.sid !== undefined && p.i !== logout.sid) return false
  return logout.sub === undefined || p.s === logout.sub
}
