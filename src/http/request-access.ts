import { decideAccess, type AccessDecision, type Authentication } from '../access/access-decision.ts'
import { present, type AccessRequest } from '../access/identity-loaders.ts'
import { loadPresented } from '../access/load-presented.ts'
import { clearedCookie, endSession } from '../access/session-lifecycle.ts'
import type { AppDeps } from '../app-deps.ts'
import type { Identity } from '../auth/identity.ts'
import { audit } from '../observability/audit.ts'
import { signinOutcome } from '../observability/signin-outcome.ts'
import { hasBody, isOnboarding, type RouteClass } from '../route-rules.ts'
import { readCookies } from '../session/session-cookie.ts'
import type { RequestScope } from './request-context.ts'
import { isCrossSiteRequest } from './resource-isolation.ts'
import { sessionOrigin } from './session-origin.ts'
import type { SessionOrigin } from '../session/session-store.ts'

type AccessDeps = Pick<AppDeps,
'config' | 'users' | 'sessions' | 'cookie' | 'access' | 'refresher' | 'metrics' | 'minter' | 'implicitSessions' | 'now'>

/** How a step asks for access: on which route class, and whether a session is renewed. */
export interface AccessOptions {
  route: RouteClass
  /** The target is a UI page, which a navigation from elsewhere may open (resource isolation). */
  uiPage: boolean
  /** Slide the session's idle expiry (not on `session.passiveRoutes`, nor for `/gateway/session`). */
  renew: boolean
}

/**
 * Whether a request may go upstream and with which credential: what it presents (the identity loaders,
 * src/access/identity-loaders.ts), loaded (src/access/load-presented.ts) and decided
 * (src/access/access-decision.ts), then the one place the decision's effects are applied: the session
 * ended (its cookie cleared, audited), groups written back, the auth proxy's metric and audit, its implicit
 * session released or its token minted; then the refusal thrown, or the authentication returned.
 */
export async function requestAccess (scope: RequestScope, deps: AccessDeps, opts: AccessOptions): Promise<Authentication> {
  const presented = present(new ScopeAccessRequest(scope, deps, opts))
  const loading = loadPresented(presented, deps, { renew: opts.renew })
  const loaded = loading instanceof Promise ? await loading : loading
  const onboarding = isOnboarding(scope.method, scope.state.canonicalPath)
  const decision = decideAccess({ loaded, route: opts.route, hasBody: hasBody(scope.req.headers), onboarding })
  // A decision without effects (a busy session, a client token) is applied without another promise.
  const effects = decision.end !== undefined || decision.groupsRead !== undefined || decision.authProxy !== undefined
  return effects ? await applyAccess(scope, deps, decision, opts.renew) : granted(scope, decision)
}

/**
 * What the loaders read of a request: plain values, and the cookie and isolation checks when asked. A class,
 * not an object of arrows: its methods are made once, not per request.
 */
class ScopeAccessRequest implements AccessRequest {
  readonly route: RouteClass
  readonly proxyIdentity: AccessRequest['proxyIdentity']
  readonly authorization: string | undefined
  readonly tokenPassthrough: boolean

  constructor (private readonly scope: RequestScope, private readonly deps: AccessDeps, private readonly opts: AccessOptions) {
    this.route = opts.route
    this.proxyIdentity = scope.state.proxyIdentity
    this.authorization = scope.req.headers.authorization
    this.tokenPassthrough = deps.config.upstream.tokenPassthrough
  }

  sessionIds (): string[] {
    return readCookies(this.scope.get('cookie') || undefined, this.deps.cookie.name)
  }

  crossSite (): boolean {
    return isCrossSiteRequest(this.scope, { uiPage: this.opts.uiPage, allowedOrigins: this.deps.config.cors.origins })
  }
}

/** Applies a decision's effects, in order; throws its refusal or resolves to the authentication it grants. */
async function applyAccess (scope: RequestScope, deps: AccessDeps, decision: AccessDecision, renew: boolean): Promise<Authentication> {
  const { outcome } = decision
  if (decision.end !== undefined) {
    await endSession(deps, decision.end.found, decision.end.reason, scope.state.log)
    scope.set('Set-Cookie', clearedCookie(deps, scope.state.client.https))
  }
  if (outcome.kind === 'forward' && outcome.auth.kind === 'session' && decision.groupsRead !== undefined) {
    await deps.sessions.update(outcome.auth.found.id, decision.groupsRead)
  }
  if (decision.authProxy !== undefined) return await proxyEffects(scope, deps, decision, renew)
  return granted(scope, decision)
}

/** The decision's outcome: its refusal thrown, or the authentication it grants (the user named for the access line). */
function granted (scope: RequestScope, { outcome }: AccessDecision): Authentication {
  if (outcome.kind === 'refuse') throw outcome.error
  if (outcome.auth.kind === 'session') scope.state.user = outcome.auth.identity.name
  return outcome.auth
}

/** An auth-proxy identity's effects: its implicit session, its metric and audit, its minted token. */
async function proxyEffects (scope: RequestScope, deps: AccessDeps, decision: AccessDecision, renew: boolean): Promise<Authentication> {
  const identity = scope.state.proxyIdentity as Identity
  if (decision.releaseImplicit === true) deps.implicitSessions.release(identity, () => scope.state.log)
  const { outcome } = decision
  if (outcome.kind === 'refuse') {
    deps.metrics.proxyIdentity(decision.authProxy === 'no_access' ? 'no_access' : 'cross_site')
    const { name: user, source, groups } = identity
    if (decision.authProxy === 'no_access') audit(scope.state.log, 'proxyNoAccess', { user, source, groups })
    throw outcome.error
  }
  scope.state.user = identity.name
  const auth = outcome.auth as Extract<Authentication, { kind: 'authProxy' }>
  const spec = auth.credential.mint
  if (spec === undefined) {
    deps.metrics.proxyIdentity('authenticated')
    return auth
  }
  try {
    const origin = (): SessionOrigin => sessionOrigin(scope)
    const credential = await deps.implicitSessions.credential(identity, spec, { renew, log: scope.state.log, origin })
    deps.metrics.proxyIdentity('authenticated')
    return { ...auth, credential }
  } catch (err) {
    const outcome = signinOutcome(err)
    if (outcome === 'mint_refused' || outcome === 'mint_unavailable') deps.metrics.proxyIdentity(outcome)
    throw err
  }
}
