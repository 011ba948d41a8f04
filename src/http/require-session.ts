import type Koa from 'koa'
import { isTokenAuthorization } from '../auth/basic-auth.ts'
import type { User } from '../auth/user-store.ts'
import { errors } from '../errors.ts'
import type { AppDeps } from '../app.ts'
import { isCrossSiteWrite } from './cross-site.ts'
import type { GatewayState } from './request-context.ts'
import { classifyRoute } from './route-class.ts'
import { findActiveSession, sessionIds } from './session-lookup.ts'

/** How a request that may go upstream was authenticated. */
export type Authentication =
  | { kind: 'session', user: User }
  | { kind: 'token' }
  | { kind: 'public' }

declare module 'koa' {
  interface DefaultState { auth?: Authentication }
}

type RequireSessionDeps = Pick<AppDeps, 'config' | 'users' | 'sessions' | 'cookie'>

/**
 * Decides whether a request may go upstream and with which credential: a client `Token`/`Bearer`
 * header wins (InfluxDB's rule) and passes through; else a live session cookie for an active user
 * (a cross-site write carrying our cookie is refused before the session is touched;
 * `session.passiveRoutes` do not renew it); else only public
 * routes. Everything else gets the uniform 401 before anything reaches InfluxDB.
 */
export function requireSession (deps: RequireSessionDeps): Koa.Middleware<GatewayState & { auth?: Authentication }> {
  return async (ctx, next) => {
    const route = classifyRoute(ctx.method, ctx.path)
    ctx.state.route = route.group
    if (deps.config.upstream.tokenPassthrough && isTokenAuthorization(ctx.get('authorization') || undefined)) {
      ctx.state.auth = { kind: 'token' }
      return await next()
    }
    // SECURITY: CSRF, checked before the session is read (and renewed). A cookie rides along on any
    // same-site request, other ports included.
    if (sessionIds(ctx, deps.cookie.name).length > 0 && isCrossSiteWrite(ctx, deps.config.cors.origins)) throw errors.crossSite()
    const passive = deps.config.session.passiveRoutes.includes(`${ctx.method} ${ctx.state.canonicalPath}`)
    const active = await findActiveSession(ctx, deps, { renew: !passive })
    if (active !== undefined) {
      ctx.state.auth = { kind: 'session', user: active.user }
      ctx.state.user = active.user.name
      return await next()
    }
    if (!route.public) throw errors.unauthorized()
    ctx.state.auth = { kind: 'public' }
    return await next()
  }
}
