import type { UpstreamCredential } from '../auth/access-rules.ts'
import { fileIdentity } from '../auth/file-identity-source.ts'
import type { RefreshResult } from '../auth/identity-refresher.ts'
import type { Identity } from '../auth/identity.ts'
import type { User } from '../auth/user-store.ts'
import type { Session } from '../session/session-store.ts'

/** Groups read again from the directory, to be written to the session. */
export interface GroupsRead { groups: string[], checkedAt: number }

/** How a session stands now, by the live configuration and what its identity source said. */
export type Standing =
  /** Good: the identity as it stands now (`groupsRead`: its groups were just read again). */
  | { kind: 'current', identity: Identity, groupsRead?: GroupsRead }
  /** A directory identity due a lookup: it is judged once the directory answered. */
  | { kind: 'due' }
  /** Over, for `reason`; `inactive`: answered `403 User is inactive`, else treated as no session. */
  | { kind: 'ended', reason: string, inactive: boolean }

/** What {@link sessionStanding} is judged on, besides the session itself. */
export interface StandingFacts {
  /** For a file session: the user of its name in the live config (undefined: removed). */
  user?: User
  /** For a session of another source: what the identity refresher answered, or `due` when not asked yet. */
  refreshed?: RefreshResult | 'due'
}

const DUE: Standing = { kind: 'due' }

/**
 * The one rule for "is this session still good", shared by the cached synchronous path and the awaited
 * one. A file session is good only under the password hash and the enabled state it signed in under: a
 * user disabled or removed since is inactive; a session revoked by a reload that disabled the user (even
 * if enabled again since) or signed in under a password since changed is over. A session of another
 * source revoked by a reload is over; a directory identity the directory no longer has is inactive.
 */
export function sessionStanding (session: Session, facts: StandingFacts): Standing {
  if (session.identity.source === 'file') {
    const { user } = facts
    if (user === undefined || user.disabled) return { kind: 'ended', reason: 'user inactive', inactive: true }
    // SECURITY: valid only under the password hash and the enabled state it was signed in under.
    if (session.revoked) return { kind: 'ended', reason: 'user was disabled', inactive: false }
    if (session.stamp !== user.stamp) return { kind: 'ended', reason: 'password changed', inactive: false }
    return { kind: 'current', identity: fileIdentity(user) }
  }
  if (session.revoked) return { kind: 'ended', reason: 'user was disabled', inactive: false }
  const { refreshed } = facts
  if (refreshed === undefined || refreshed === 'due') return DUE
  if (refreshed.kind === 'gone') return { kind: 'ended', reason: 'user no longer in the directory', inactive: true }
  if (refreshed.kind === 'current') return { kind: 'current', identity: session.identity }
  const { groups } = refreshed.identity
  return { kind: 'current', identity: { ...session.identity, groups }, groupsRead: { groups, checkedAt: refreshed.checkedAt } }
}

/**
 * The credential a good session goes upstream with, under the credential its rule grants now, or why it
 * ends: no rule grants anything any more; a session minted for another rule than the live one (`held` is
 * its token for the live rule's spec, undefined when it holds none); a session holding a minted token when
 * the live rule gives another credential (its token dies).
 */
export function sessionGrant (
  granted: UpstreamCredential | undefined, held: UpstreamCredential | undefined, minted: boolean
): { credential: UpstreamCredential } | { ends: string } {
  if (granted === undefined) return { ends: 'no access rule grants this user' }
  if (granted.mint !== undefined) return held === undefined ? { ends: 'access rule changed' } : { credential: held }
  return minted ? { ends: 'access rule changed' } : { credential: granted }
}
