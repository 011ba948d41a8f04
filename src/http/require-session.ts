import { isTokenAuthorization } from '../auth/basic-auth.ts'
import type { UpstreamCredential } from '../auth/access-rules.ts'
import type { Identity } from '../auth/identity.ts'
import { errors } from '../errors.ts'
import type { AppDeps } from '../app-deps.ts'
import type { RequestScope } from './request-context.ts'
import { hasBody, isOnboarding } from '../route-rules.ts'
import { proxyCredential } from './proxy-credential.ts'
import { cachedActiveSession, findActiveSession, presentedSessionIds } from './session-lookup.ts'

/** How a request that may go upstream was authenticated. */
export type Authentication =
  | { kind: 'session', identity: Identity, credential: UpstreamCredential }
  /**
   * An identity a trusted auth proxy asserted (`authProxy:`): no cookie; no session either, unless its
   * rule mints (then an implicit one holds the token).
   */
  | { kind: 'proxy', identity: Identity, credential: UpstreamCredential }
  /** The client's own `Token`/`Bearer` header, passed through for InfluxDB to judge. */
  | { kind: 'token', authorization: string }
  | { kind: 'public' }

type RequireSessionDeps = Pick<AppDeps,
'config' | 'users' | 'sessions' | 'cookie' | 'access' | 'refresher' | 'metrics' | 'minter' | 'implicitSessions'>

/**
 * Decides whether a request may go upstream and with which credential: an identity a trusted auth proxy
 * asserted wins over everything (the client's own `Authorization` is replaced, cookies are not read),
 * under resource isolation as for the cookie, on every route `/metrics` and `/debug/*` included (its
 * implicit session, when its rule mints, is renewed as a cookie session is); else a client `Token`/`Bearer`
 * header wins (InfluxDB's rule) and passes through, except on routes InfluxDB leaves unauthenticated
 * (`/metrics`, `/debug/*`), which need a session; else a live session cookie for an active user (a
 * request carrying our cookie that fails resource isolation is refused before the session is touched;
 * `session.passiveRoutes` do not renew it); else only public routes, without a body. Everything else
 * gets the uniform 401 before anything reaches InfluxDB.
 */
export async function requireSession (ctx: RequestScope, deps: RequireSessionDeps): Promise<Authentication> {
  const route = ctx.state.routeClass
  const proxied = ctx.state.proxyIdentity
  if (proxied !== undefined) {
    const credential = await proxyCredential(ctx, deps, proxied, { uiPage: route.group === 'ui', renew: !isPassive(ctx, deps) })
    return { kind: 'proxy', identity: proxied, credential }
  }
  const authorization = ctx.req.headers.authorization
  if (deps.config.upstream.tokenPassthrough && !route.sessionOnly && authorization !== undefined && isTokenAuthorization(authorization)) {
    return { kind: 'token', authorization }
  }
  const ids = presentedSessionIds(ctx, deps, route.group === 'ui')
  const opts = { renew: !isPassive(ctx, deps) }
  const active = ids.length === 0 ? undefined : cachedActiveSession(deps, opts, ids) ?? await findActiveSession(ctx, deps, opts, ids)
  if (active !== undefined) {
    ctx.state.user = active.identity.name
    return { kind: 'session', identity: active.identity, credential: active.credential }
  }
  if (!route.public) throw errors.unauthorized()
  // SECURITY: anonymous requests have no reason to carry a body (onboarding, when allowed, is the one
  // exception); refused before anything is forwarded, so a trickled body holds no upstream connection.
  if (hasBody(ctx.req.headers) && !isOnboarding(ctx.method, ctx.state.canonicalPath)) throw errors.bodyWithoutSession()
  return PUBLIC
}

const PUBLIC: Authentication = { kind: 'public' }

/** `session.passiveRoutes` match on the canonical path; HEAD counts as the GET it mirrors. */
function isPassive (ctx: RequestScope, deps: Pick<AppDeps, 'config'>): boolean {
  const rules = deps.config.session.passiveRoutes
  const path = ctx.state.canonicalPath
  return rules.includes(`${ctx.method} ${path}`) || (ctx.method === 'HEAD' && rules.includes(`GET ${path}`))
}
