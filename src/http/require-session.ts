import type Koa from 'koa'
import { isTokenAuthorization } from '../auth/basic-auth.ts'
import type { User } from '../auth/user-store.ts'
import { errors } from '../errors.ts'
import { clearedSessionCookie } from '../session/session-cookie.ts'
import type { AppDeps } from '../app.ts'
import { isCrossSiteWrite } from './cross-site.ts'
import type { GatewayContext, GatewayState } from './request-context.ts'
import { canonicalPath, classifyRoute } from './route-class.ts'
import { findSession } from './session-lookup.ts'

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
 * (refused when it is a cross-site write; `session.passiveRoutes` do not renew it); else only public
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
    const user = await sessionUser(ctx, deps)
    if (user !== undefined) {
      // SECURITY: CSRF. A cookie rides along on any same-site request, other ports included.
      if (isCrossSiteWrite(ctx, deps.config.cors.origins)) throw errors.crossSite()
      ctx.state.auth = { kind: 'session', user }
      ctx.state.user = user.name
      return await next()
    }
    if (!route.public) throw errors.unauthorized()
    ctx.state.auth = { kind: 'public' }
    return await next()
  }
}

async function sessionUser (ctx: GatewayContext, deps: RequireSessionDeps): Promise<User | undefined> {
  const passive = deps.config.session.passiveRoutes.includes(`${ctx.method} ${canonicalPath(ctx.path)}`)
  const found = await findSession(ctx, deps, { renew: !passive })
  if (found === undefined) return undefined
  const { id, session } = found
  // The user is looked up in the live config on every request, so a change applies to sessions too.
  const user = deps.users.find(session.user)
  if (user === undefined || user.disabled) {
    await deps.sessions.destroy(id)
    ctx.set('Set-Cookie', clearedSessionCookie(deps.cookie, ctx.state.client.https))
    ctx.state.log.info({ audit: 'session', user: session.user, session: session.ref, reason: 'user inactive' }, 'session ended')
    throw errors.userInactive()
  }
  return user
}
