import type Koa from 'koa'
import type { AppDeps } from '../app.ts'
import { errors } from '../errors.ts'
import type { GatewayState } from './request-context.ts'
import { canonicalPath } from './route-class.ts'
import { findSession } from './session-lookup.ts'

type GatewayRouteDeps = Pick<AppDeps, 'config' | 'sessions' | 'cookie'>

/**
 * The gateway's own endpoints under `server.gatewayPrefix` (default `/gateway`); nothing under the
 * prefix is ever forwarded. `GET /gateway/session` tells a signed-in browser app who it is and when
 * its session ends, without renewing it or touching the upstream.
 */
export function gatewayRoutes (deps: GatewayRouteDeps): Koa.Middleware<GatewayState> {
  return async (ctx, next) => {
    // Matched on the canonical path: no spelling of the prefix may slip through to the upstream.
    const prefix = canonicalPath(deps.config.server.gatewayPrefix)
    const path = canonicalPath(ctx.path)
    if (path !== prefix && !path.startsWith(`${prefix}/`)) return await next()
    ctx.state.route = 'gateway'
    if (path !== `${prefix}/session`) throw errors.notFound()
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') throw errors.methodNotAllowed('GET, HEAD')
    const session = (await findSession(ctx, deps, { renew: false }))?.session
    if (session === undefined) throw errors.unauthorized()
    ctx.state.user = session.user
    ctx.set('Cache-Control', 'no-store')
    ctx.body = {
      user: session.user,
      createdAt: new Date(session.createdAt).toISOString(),
      idleExpiresAt: new Date(session.idleExpiresAt).toISOString(),
      absoluteExpiresAt: new Date(session.absoluteExpiresAt).toISOString()
    }
  }
}
