import type { IdentitySessionIndex } from './identity-session-index.ts'
import type { ProviderSessionIndex } from './provider-session-index.ts'
import { openSessionRecord, sessionFromRecord, type SessionRecord } from './session-record.ts'
import type { ProviderLogout, Session } from './session-store.ts'
import { deleteStored, type StoreContext } from './stored-session.ts'

/** What ending a provider's sessions needs: the store's context and its two indexes. */
export interface ProviderEndDeps {
  ctx: StoreContext
  identities: Pick<IdentitySessionIndex, 'keys' | 'remove'>
  providers: Pick<ProviderSessionIndex, 'names'>
}

/**
 * Ends every live single sign-on session that `logout` names: the provider index gives the names, the
 * per-identity index their sessions, and each session's own signed record decides. Each is deleted as a
 * sign-out deletes it (its minted token released); resolves to the sessions deleted here (one another
 * request or replica deleted meanwhile is not counted twice). The work is bounded by the sessions of
 * those names, which `session.maxPerIdentity` caps.
 */
export async function endProviderSessions ({ ctx, identities, providers }: ProviderEndDeps, logout: ProviderLogout): Promise<Session[]> {
  const ended: Session[] = []
  for (const name of await providers.names(logout)) {
    const identity = { name, source: 'oidc' as const }
    for (const key of await identities.keys(identity)) {
      const record = openSessionRecord(ctx.signer, key, await ctx.client.get(key))
      // SECURITY: the indexes are hints anyone with access to Redis could write; only the signed record says
      // whose session it is, so a logout of one provider session never ends another's of the same name.
      if (record === undefined || !namedBy(record, logout)) continue
      const { existed } = await deleteStored(ctx, key)
      await identities.remove(identity, key)
      if (existed) ended.push({ ...sessionFromRecord(record, key), idleExpiresAt: ctx.now() })
    }
  }
  return ended
}

/** Whether a session's record is of the provider session (and subject) a logout names. */
function namedBy (record: SessionRecord, logout: ProviderLogout): boolean {
  const p = record.p
  if (record.o !== 'oidc' || p === undefined) return false
  if (logout.sid !== undefined && p.i !== logout.sid) return false
  return logout.sub === undefined || p.s === logout.sub
}
