import type Koa from 'koa'
import { errors } from '../errors.ts'
import type { GatewayState } from './request-context.ts'

/**
 * Only origin-form request targets (`/path?query`) are served. Absolute-form (`GET http://host/…`,
 * for forward proxies) and asterisk-form targets would be parsed differently by Koa, the route
 * checks and http-proxy; they get 400 before any of those sees them.
 */
export function requireOriginForm (): Koa.Middleware<GatewayState> {
  return async (ctx, next) => {
    if (!(ctx.req.url ?? '').startsWith('/')) throw errors.badRequest('request target must be a path')
    await next()
  }
}
