import type Koa from 'koa'
import { canonicalPath, pathOf, targetProblem } from '../route-rules.ts'
import type { GatewayState } from './request-context.ts'

/**
 * Serves only plain framing and plain origin-form targets (the rules in `route-rules.ts`: 501 or 400
 * otherwise, before any route sees the request), and records the canonical path for the route rules.
 */
export function requireCanonicalTarget (): Koa.Middleware<GatewayState> {
  return async (ctx, next) => {
    const target = ctx.req.url ?? ''
    const problem = targetProblem(target, ctx.req.headers['transfer-encoding'])
    if (problem !== undefined) throw problem
    ctx.state.canonicalPath = canonicalPath(pathOf(target))
    await next()
  }
}
