import type { UpstreamCredential } from '../auth/access-rules.ts'
import type { Identity } from '../auth/identity.ts'
import type { TokenMinter } from '../mint/token-minter.ts'
import { audit, type AuditLog } from '../observability/audit.ts'
import type { CachedSessionStore } from '../session/cached-session-store.ts'
import { clearedSessionCookie, sessionCookie, type SessionCookieOptions } from '../session/session-cookie.ts'
import type { CreatedSession, ProviderLogout, ProviderSession, Session, SessionOrigin, SessionOwner } from '../session/session-store.ts'
import type { Metrics, SessionsEndedBy, SessionsEndedScope } from '../observability/metrics.ts'
import type { FoundSession } from './access-decision.ts'

/**
 * The one owner of a session's life: start, end one, end what a request presented. Renewal is the
 * store's read (`get` with `renew`, at most once per touch-after), and a whole user's sessions end through
 * `revokeUser` (a reload), the identity provider's back-channel logout, the store's expiry, or on request (by
 * ref, an owner's, all: the sessions page and API); every end path releases what a session holds (its minted
 * token) in the store. Each function returns the `Set-Cookie` to write, when there is one, and audits through
 * src/observability/audit.ts.
 */
export interface LifecycleDeps {
  sessions: Pick<CachedSessionStore, 'create' | 'get' | 'destroy' | 'endProviderSessions' | 'list' | 'endByRef' | 'endOwner' | 'endAll'>
  cookie: SessionCookieOptions
  minter: Pick<TokenMinter, 'attachment'>
  now: () => number
}

/** Where a lifecycle step reports: the request's logger, and whether the client came over HTTPS (for the cookie). */
export interface LifecycleScope { log: AuditLog, https: boolean }

/**
 * How a session starts: by a sign-in (a cookie), or implicitly for an auth-proxy identity (none); a single
 * sign-on's with the provider session it came from (`provider`), kept for back-channel logout; where the
 * sign-in came from (`origin`: kept with the session, shown on the sessions page).
 */
export interface StartOptions { stamp?: string, implicit?: boolean, provider?: ProviderSession, origin?: SessionOrigin }

/**
 * Starts a session for an identity a sign-in (or an auth proxy, `implicit`) has proven, under the
 * credential the access rules grant it: a `mint` credential has its token minted for the session as an
 * attachment of the store's create (503/403 when InfluxDB cannot or will not, and no session); a token
 * minted for a session that then could not be stored is deleted again. The identity's oldest sessions
 * past `session.maxPerIdentity` end in the store's create (audited here, reason `session cap`).
 */
export async function startSession (
  deps: LifecycleDeps, identity: Identity, credential: UpstreamCredential, scope: LifecycleScope, opts: StartOptions = {}
): Promise<{ started: CreatedSession, setCookie?: string }> {
  const minting = credential.mint === undefined ? undefined : deps.minter.attachment(identity, credential.mint)
  const checkedAt = identity.source === 'file' ? undefined : deps.now()
  let started: CreatedSession
  try {
    started = await deps.sessions.create(identity, opts.stamp, checkedAt, minting?.attach, { provider: opts.provider, origin: opts.origin })
  } catch (err) {
    minting?.abandoned()
    throw err
  }
  minting?.stored(started.id)
  const { name: user, source, groups } = identity
  if (opts.implicit === true) audit(scope.log, 'implicitSessionStarted', { user, source, groups, session: started.session.ref })
  else audit(scope.log, 'signedIn', { user, source, session: started.session.ref })
  for (const ref of started.evicted ?? []) audit(scope.log, 'sessionEnded', { user, source, session: ref, reason: 'session cap' })
  if (opts.implicit === true) return { started }
  return { started, setCookie: sessionCookie(deps.cookie, started.id, started.session.absoluteExpiresAt, scope.https) }
}

/** Ends one session for `reason`; resolves true (and audits it) when it was live until now. */
export async function endSession (
  deps: Pick<LifecycleDeps, 'sessions'>, found: FoundSession, reason: string, log: AuditLog
): Promise<boolean> {
  const ended = await deps.sessions.destroy(found.id)
  if (ended) {
    const { name: user, source } = found.session.identity
    audit(log, 'sessionEnded', { user, source, session: found.session.ref, reason })
  }
  return ended
}

/**
 * Ends every session of the identity provider's session or subject that a back-channel logout names, on
 * every replica sharing the store (minted tokens released by the store's end path), each audited; resolves
 * to those that were live until now.
 */
export async function endProviderSessions (
  deps: Pick<LifecycleDeps, 'sessions'>, logout: ProviderLogout, log: AuditLog
): Promise<Session[]> {
  const ended = await deps.sessions.endProviderSessions(logout)
  for (const session of ended) {
    const { name: user, source } = session.identity
    audit(log, 'sessionEnded', { user, source, session: session.ref, reason: 'backchannel logout' })
  }
  return ended
}

/**
 * Ends every session of `owner` in the store for `reason` (an auth-proxy identity's sign-out: its implicit
 * sessions of every replica, each audited); resolves to how many.
 */
export async function endOwnerFor (
  deps: Pick<LifecycleDeps, 'sessions'>, owner: SessionOwner, reason: string, log: AuditLog
): Promise<number> {
  const ended = await deps.sessions.endOwner(owner)
  for (const s of ended) audit(log, 'sessionEnded', { user: s.user, source: s.identity.source, session: s.ref, reason })
  return ended.length
}

/** Why the sessions a request presented end: its user signed out (`provider`: at the identity provider too), or a reason. */
export type Ending = { signedOut: true, provider?: true } | { reason: string }

/**
 * Ends every live session among the ids a request's cookies carry, each audited; resolves to those that
 * were live. The caller clears the cookie first ({@link clearedCookie}), whatever happens here.
 */
export async function endPresentedSessions (
  deps: Pick<LifecycleDeps, 'sessions'>, ids: string[], log: AuditLog, ending: Ending
): Promise<Session[]> {
  const ended: Session[] = []
  for (const id of ids) {
    const session = await deps.sessions.get(id, { renew: false })
    if (session === undefined || !await deps.sessions.destroy(id)) continue
    ended.push(session)
    const { name: user, source } = session.identity
    if ('reason' in ending) audit(log, 'sessionEnded', { user, source, session: session.ref, reason: ending.reason })
    else audit(log, 'signedOut', { user, source, session: session.ref, ...(ending.provider === true ? { provider: true } : {}) })
  }
  return ended
}

/** The `Set-Cookie` that clears the session cookie. */
export function clearedCookie (deps: Pick<LifecycleDeps, 'cookie'>, https: boolean): string {
  return clearedSessionCookie(deps.cookie, https)
}

/**
 * Who ends sessions on request, for the metric and the audit: a user their own (`user`), an administrator
 * (`admin`; `actor` names them), or the administrators' API token (`api`, no name).
 */
export interface Ender { by: Exclude<SessionsEndedBy, 'backchannel'>, actor?: Pick<Identity, 'name' | 'source'> }

/** What ending on request needs: the store, the metric, and where to audit. */
export interface EndOnRequestDeps { sessions: LifecycleDeps['sessions'], metrics: Pick<Metrics, 'sessionsEnded'>, log: AuditLog }

/**
 * Ends the session whose ref is `ref`, among `owner`'s only when given (a user's own), else anyone's (an
 * administrator); resolves to it, or undefined when no such session lives. Its minted token is deleted
 * by the store's end path.
 */
export async function endSessionByRef (
  deps: EndOnRequestDeps, ref: string, owner: SessionOwner | undefined, ender: Ender
): Promise<Session | undefined> {
  const ended = await deps.sessions.endByRef(ref, owner)
  reportEnded(deps, ended === undefined ? [] : [ended], ender, 'one')
  return ended
}

/** Ends every session of `owner` (source and name), on every replica sharing the store; resolves to those ended. */
export async function endOwnerSessions (deps: EndOnRequestDeps, owner: SessionOwner, ender: Ender): Promise<Session[]> {
  const ended = await deps.sessions.endOwner(owner)
  reportEnded(deps, ended, ender, 'user')
  return ended
}

/**
 * Ends every session of `owner` but the one whose ref is `keep` (a user's "end all other sessions");
 * resolves to those ended. Those it finds through the owner's index, as {@link endOwnerSessions}.
 */
export async function endOtherSessions (deps: EndOnRequestDeps, owner: SessionOwner, keep: string, ender: Ender): Promise<Session[]> {
  const ended = await deps.sessions.endOwner(owner, keep)
  reportEnded(deps, ended, ender, 'user')
  return ended
}

/** Ends every session of everyone (the asker's own included); resolves to those ended. */
export async function endAllSessions (deps: EndOnRequestDeps, ender: Ender): Promise<Session[]> {
  const ended = await deps.sessions.endAll()
  reportEnded(deps, ended, ender, 'all')
  return ended
}

/**
 * Counts and audits sessions ended on request: one line each, naming the session by its ref only. A
 * session of the actor's own counts as ended by its `user`, whoever the actor is.
 */
function reportEnded (deps: EndOnRequestDeps, ended: Session[], ender: Ender, scope: SessionsEndedScope): void {
  const { actor } = ender
  for (const s of ended) {
    const own = actor !== undefined && actor.name === s.user && actor.source === s.identity.source
    const by = own ? 'user' : ender.by
    deps.metrics.sessionsEnded(by, scope, 1)
    const who = actor === undefined ? {} : { actor: actor.name, actorSource: actor.source }
    audit(deps.log, 'sessionEndedBy', { user: s.user, source: s.identity.source, session: s.ref, by, scope, ...who })
  }
}
