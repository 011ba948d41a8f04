import type { FoundSession } from '../access/access-decision.ts'
import type { AppDeps } from '../app-deps.ts'
import type { Identity } from '../auth/identity.ts'
import { errors } from '../errors.ts'
import { audit } from '../observability/audit.ts'
import type { RouteClass } from '../route-rules.ts'
import type { SessionOwner } from '../session/session-store.ts'
import type { GatewayContext } from './request-context.ts'
import { requestAccess } from './request-access.ts'

export type SessionsDeps = Pick<AppDeps,
'config' | 'users' | 'sessions' | 'cookie' | 'access' | 'refresher' | 'metrics' | 'minter' | 'implicitSessions' | 'now' | 'admins' |
'formTokens'>

/**
 * Who asks to see or end sessions: the administrators' API token (no identity), or a signed-in identity
 * (a session cookie, or an auth proxy's assertion), an administrator or not, with its current session
 * when it has one, and the subject its page's form tokens are bound to.
 */
export type SessionsAsker =
  | { kind: 'token', admin: true }
  | { kind: 'identity', admin: boolean, identity: Identity, owner: SessionOwner, current?: FoundSession, formSubject: string }

/** The sessions page and API take a session cookie or an auth proxy's identity, never a client token to pass through. */
const SESSIONS_ROUTE: RouteClass = { group: 'api', public: false, sessionOnly: true }

/**
 * Who asks: with `tokens` (the JSON API), an `Authorization` header must be one of `gatewayAdmins.apiTokens`
 * as `Bearer` (else 401, whatever cookie comes along); otherwise the request's session or auth-proxy identity
 * as every request's access is decided (resource isolation included: `uiPage` for a page a navigation may
 * open), else 401.
 */
export async function sessionsAsker (
  ctx: GatewayContext, deps: SessionsDeps, opts: { tokens: boolean, uiPage: boolean }
): Promise<SessionsAsker> {
  const authorization = ctx.get('authorization')
  if (opts.tokens && authorization !== '') {
    // SECURITY: the token is compared in constant time and never logged; it never reaches InfluxDB (nothing here is forwarded).
    if (deps.admins.isAdminToken(authorization)) return { kind: 'token', admin: true }
    throw errors.unauthorized()
  }
  const auth = await requestAccess(ctx, deps, { route: SESSIONS_ROUTE, uiPage: opts.uiPage, renew: true })
  if (auth.kind !== 'session' && auth.kind !== 'authProxy') throw errors.unauthorized()
  const { identity } = auth
  const owner = { name: identity.name, source: identity.source }
  const admin = deps.admins.isAdmin(identity)
  if (auth.kind === 'authProxy') return { kind: 'identity', admin, identity, owner, formSubject: `\0proxy\0${identity.name}` }
  return { kind: 'identity', admin, identity, owner, current: auth.found, formSubject: auth.found.id }
}

/** Whether `owner` is the asker's own identity (same source and name). */
export function isOwn (asker: SessionsAsker, owner: SessionOwner): boolean {
  return asker.kind === 'identity' && asker.owner.name === owner.name && asker.owner.source === owner.source
}

/**
 * Refuses, audited, a non-administrator's request for what is not theirs: 403.
 * @throws GatewayError `noAccess`-shaped 403 always
 */
export function refuseOthers (ctx: GatewayContext, asker: SessionsAsker, action: string, target: Partial<SessionOwner> = {}): never {
  const actor = asker.kind === 'identity' ? { actor: asker.identity.name, actorSource: asker.identity.source } : {}
  audit(ctx.state.log, 'sessionsRefused', { ...actor, action, user: target.name, source: target.source })
  throw errors.sessionsRefused()
}
