import { namedBy } from './end-provider-sessions.ts'
import type { IdentitySessionIndex } from './identity-session-index.ts'
import type { ProviderSessionIndex } from './provider-session-index.ts'
import { ownedBy, readLive, scanSessionKeys, type ListedRecord, type ListingContext } from './session-listing.ts'
import { sessionRef } from './session-id.ts'
import type { Session, SessionListing, SessionOwner, SessionStore } from './session-store.ts'
import { deleteStored, type StoreContext } from './stored-session.ts'

/** What listing and ending sessions by owner or ref need: the store's context and its identity index. */
export interface SessionEndingOptions {
  ctx: StoreContext
  listing: ListingContext
  identities: Pick<IdentitySessionIndex, 'keys' | 'remove'>
  /** Which user names a provider session or subject signed in as (back-channel logout). */
  providers: Pick<ProviderSessionIndex, 'names'>
}

/**
 * The store's listing and ending of sessions other than by id: by ref, by owner, all. An owner's sessions
 * are found through its identity index (src/session/identity-session-index.ts); everyone's through a SCAN
 * of the session keys. Each ends as `destroy` ends one: the key deleted (on every replica sharing the
 * store at once; their in-process caches drop it within `session.redis.cacheTime`), its minted token released.
 */
export function createSessionEnding (
  opts: SessionEndingOptions
): Pick<SessionStore, 'list' | 'endByRef' | 'endOwner' | 'endAll' | 'endProviderSessions'> {
  const { ctx, listing, identities, providers } = opts
  /** Deletes one listed session; resolves to it when this call ended it (not a concurrent one). */
  const end = async ({ key, record, session }: ListedRecord): Promise<typeof session | undefined> => {
    const { existed } = await deleteStored(ctx, key)
    if (!existed) return undefined
    await identities.remove({ name: record.u, source: record.o ?? 'file' }, key)
    return session
  }
  /** An owner's live sessions, through its identity index (each record confirming whose it is). */
  const ownedLive = async (owner: SessionOwner): Promise<ListedRecord[]> =>
    (await readLive(listing, await identities.keys(owner))).filter((l) => ownedBy(l.record, owner))
  const endEach = async (listed: ListedRecord[]): Promise<Array<ListedRecord['session']>> => {
    const ended = []
    for (const one of listed) {
      const session = await end(one)
      if (session !== undefined) ended.push(session)
    }
    return ended
  }
  return {
    async list (owner, limit) {
      if (owner !== undefined) {
        const sessions = (await ownedLive(owner)).map((l) => l.session).sort((a, b) => a.createdAt - b.createdAt)
        return { sessions: sessions.slice(0, limit), truncated: sessions.length > limit }
      }
      return await listAll(listing, limit)
    },
    async endByRef (ref, owner) {
      let key: string | undefined
      if (owner !== undefined) key = (await identities.keys(owner)).find((k) => sessionRef(k) === ref)
      else {
        await scanSessionKeys(listing, async (keys) => {
          key = keys.find((k) => sessionRef(k) === ref)
          return key === undefined
        })
      }
      if (key === undefined) return undefined
      const [found] = (await readLive(listing, [key])).filter((l) => owner === undefined || ownedBy(l.record, owner))
      return found === undefined ? undefined : await end(found)
    },
    endOwner: async (owner, keep) => await endEach((await ownedLive(owner)).filter((l) => l.session.ref !== keep)),
    /**
     * The provider index gives the names, the identity index their sessions, and each live session's own
     * signed record decides; bounded by those names' sessions, which `session.maxPerIdentity` caps.
     */
    async endProviderSessions (logout) {
      const ended: Array<ListedRecord['session']> = []
      for (const name of await providers.names(logout)) {
        const live = await readLive(listing, await identities.keys({ name, source: 'oidc' }))
        ended.push(...await endEach(live.filter((l) => namedBy(l.record, logout))))
      }
      return ended
    },
    async endAll () {
      const ended: Array<ListedRecord['session']> = []
      await scanSessionKeys(listing, async (keys) => {
        ended.push(...await endEach(await readLive(listing, keys)))
        return true
      })
      return ended
    }
  }
}

/**
 * Everyone's live sessions, oldest first: the SCAN stops once more than `limit` are found, so a listing
 * reads at most `limit` records and one SCAN batch more whatever the store holds (`truncated` then says so).
 */
async function listAll (listing: ListingContext, limit: number): Promise<SessionListing> {
  const sessions: Session[] = []
  const seen = new Set<string>()
  await scanSessionKeys(listing, async (keys) => {
    for (const l of await readLive(listing, keys.filter((k) => !seen.has(k)))) {
      seen.add(l.key)
      sessions.push(l.session)
    }
    return sessions.length <= limit
  })
  sessions.sort((a, b) => a.createdAt - b.createdAt)
  return { sessions: sessions.slice(0, limit), truncated: sessions.length > limit }
}
