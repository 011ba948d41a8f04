import type { AppDeps } from '../app-deps.ts'
import type { UpstreamCredential } from '../auth/access-rules.ts'
import { fileIdentity } from '../auth/file-identity-source.ts'
import type { Identity } from '../auth/identity.ts'
import type { User } from '../auth/user-store.ts'
import { errors } from '../errors.ts'
import { clearedSessionCookie, readCookies } from '../session/session-cookie.ts'
import type { GetSessionOptions, Session } from '../session/session-store.ts'
import type { RequestScope } from './request-context.ts'
import { isCrossSiteRequest } from './resource-isolation.ts'

/** A session found through the request's cookie. */
export interface FoundSession { id: string, session: Session }

/** A live session of an active identity, and the upstream credential the access rules give it now. */
export interface ActiveSession extends FoundSession { identity: Identity, credential: UpstreamCredential }

type LookupDeps = Pick<AppDeps, 'sessions' | 'cookie'>
type ActiveDeps = LookupDeps & Pick<AppDeps, 'users' | 'access' | 'refresher' | 'minter'>

/**
 * The session ids the request's cookies carry, each once. Every cookie of our name is read (the header
 * limit bounds them): a same-site party that tosses junk cookies of our name in front of the real one
 * cannot hide it.
 */
export function sessionIds (ctx: RequestScope, cookieName: string): string[] {
  return readCookies(ctx.get('cookie') || undefined, cookieName)
}

/**
 * The session ids a request presents, once it passed resource isolation: a request carrying our cookie
 * that another site made the browser send is refused (403) here, before any session is read or renewed.
 * `uiPage`: the target is a UI page, which a navigation from elsewhere may open.
 */
export function presentedSessionIds (ctx: RequestScope, deps: Pick<AppDeps, 'cookie' | 'config'>, uiPage: boolean): string[] {
  const ids = sessionIds(ctx, deps.cookie.name)
  // SECURITY: resource isolation, whatever the method.
  if (ids.length > 0 && isCrossSiteRequest(ctx, { uiPage, allowedOrigins: deps.config.cors.origins })) throw errors.crossSite()
  return ids
}

/** The first live session among the request's session cookies (or `ids`, when already read), or undefined. */
export async function findSession (
  ctx: RequestScope, deps: LookupDeps, opts?: GetSessionOptions, ids = sessionIds(ctx, deps.cookie.name)
): Promise<FoundSession | undefined> {
  for (const id of ids) {
    const session = await deps.sessions.get(id, opts)
    if (session !== undefined) return { id, session }
  }
  return undefined
}

/**
 * The live session, its identity as it stands now and the credential the live access rules give it: the
 * config is read on every request (so a change applies to existing sessions), a directory user's groups
 * again once `ldap.refreshInterval` has passed. A session whose user was disabled or removed since
 * sign-in (in the config or the directory), or that no access rule grants anything any more (or another
 * credential than the minted token it holds), is ended and answered `403 User is inactive` (the InfluxDB
 * UI signs out on exactly that message). A file session signed in under another password (changed since),
 * or any session revoked by a reload that disabled the user (even if enabled again since), is ended and
 * treated as absent. A directory that cannot be asked
 * for longer than twice the interval gets 503, the session kept.
 */
export async function findActiveSession (
  ctx: RequestScope, deps: ActiveDeps, opts?: GetSessionOptions, ids?: string[]
): Promise<ActiveSession | undefined> {
  const found = await findSession(ctx, deps, opts, ids)
  if (found === undefined) return undefined
  const identity = found.session.identity.source === 'file' ? await fileSession(ctx, deps, found) : await refreshedSession(ctx, deps, found)
  if (identity === undefined) return undefined
  const granted = deps.access.credentialFor(identity)
  const credential = sessionCredential(deps, found, granted)
  if (credential === undefined) {
    await endSession(ctx, deps, found, granted === undefined ? 'no access rule grants this user' : 'access rule changed')
    throw errors.userInactive()
  }
  return { ...found, identity, credential }
}

/**
 * {@link findActiveSession}'s answer when the in-process cache alone decides it, synchronously (a busy
 * session costs no promise): the request's first session id cached and live, its identity current (a file
 * user enabled under the password hash it signed in with; a directory identity not due for a lookup) and
 * a credential granted. Undefined whenever anything is to be ended, refreshed or read from the store:
 * `findActiveSession` then decides, by the same rules.
 */
export function cachedActiveSession (deps: ActiveDeps, opts: GetSessionOptions, ids: string[]): ActiveSession | undefined {
  const id = ids[0] as string
  const session = deps.sessions.peek(id, opts)
  if (session === undefined || session.revoked) return undefined
  let identity: Identity
  if (session.identity.source === 'file') {
    const user = deps.users.find(session.user)
    if (user === undefined || fileStanding(session, user) !== 'current') return undefined
    identity = fileIdentity(user)
  } else {
    if (!deps.refresher.isCurrent(session.identity, session.checkedAt ?? session.createdAt)) return undefined
    identity = session.identity
  }
  const found = { id, session }
  const credential = sessionCredential(deps, found, deps.access.credentialFor(identity))
  return credential === undefined ? undefined : { id, session, identity, credential }
}

/**
 * The credential a session gets under the credential its rule grants now: a minted credential is the
 * session's own token; a session minted for another rule than the live one gets none (it ends), as does
 * one holding a minted token when the live rule gives another credential (its token dies).
 */
function sessionCredential (
  deps: Pick<ActiveDeps, 'minter'>, found: FoundSession, granted: UpstreamCredential | undefined
): UpstreamCredential | undefined {
  if (granted?.mint !== undefined) return deps.minter.sessionCredential(found.id, found.session, granted.mint)
  return found.session.minted === undefined ? granted : undefined
}

/** A file user's identity from the live config, checked against the stamp and state it signed in under. */
async function fileSession (ctx: RequestScope, deps: ActiveDeps, found: FoundSession): Promise<Identity | undefined> {
  const user = deps.users.find(found.session.user)
  const standing = fileStanding(found.session, user)
  if (user !== undefined && standing === 'current') return fileIdentity(user)
  await endSession(ctx, deps, found, standing)
  if (standing === 'user inactive') throw errors.userInactive()
  return undefined
}

/**
 * How a file session stands against its user in the live config: current, or why it ends (a user
 * disabled or removed since is answered `403 User is inactive`; the others are treated as absent).
 */
function fileStanding (session: Session, user: User | undefined): 'current' | 'user inactive' | 'user was disabled' | 'password changed' {
  if (user === undefined || user.disabled) return 'user inactive'
  // SECURITY: valid only under the password hash and the enabled state it was signed in under.
  if (session.revoked) return 'user was disabled'
  return session.stamp === user.stamp ? 'current' : 'password changed'
}

/** A directory user's identity, its groups read again when due (and written back to the session). */
async function refreshedSession (ctx: RequestScope, deps: ActiveDeps, found: FoundSession): Promise<Identity | undefined> {
  const { session } = found
  if (session.revoked) {
    await endSession(ctx, deps, found, 'user was disabled')
    return undefined
  }
  const result = await deps.refresher.refresh(session.identity, session.checkedAt ?? session.createdAt)
  if (result.kind === 'gone') {
    await endSession(ctx, deps, found, 'user no longer in the directory')
    throw errors.userInactive()
  }
  if (result.kind === 'current') return session.identity
  await deps.sessions.update(found.id, { groups: result.identity.groups, checkedAt: result.checkedAt })
  return { ...session.identity, groups: result.identity.groups }
}

async function endSession (ctx: RequestScope, deps: LookupDeps, found: FoundSession, reason: string): Promise<void> {
  await deps.sessions.destroy(found.id)
  ctx.set('Set-Cookie', clearedSessionCookie(deps.cookie, ctx.state.client.https))
  const { name, source } = found.session.identity
  ctx.state.log.info({ audit: 'session', user: name, source, session: found.session.ref, reason }, 'session ended')
}
