import { randomUUID } from 'node:crypto'
import type Koa from 'koa'
import type { Logger } from 'pino'
import type { AppDeps } from '../app-deps.ts'
import { plainLogger } from '../observability/logger.ts'
import { resolveClient, type ClientInfo } from './client-info.ts'
import type { RouteClass } from '../route-rules.ts'

/** What the middlewares share about one request. */
export interface GatewayState {
  reqId: string
  log: Logger
  /** Route group for logs and metrics: a route name, never the raw path. */
  route: RouteClass['group'] | 'signin' | 'signout' | 'gateway' | 'preflight'
  /** The client as far as it may be believed (see `server.trustProxy`). */
  client: ClientInfo
  /** The path as route rules match it (`canonicalPath`), computed once by `requireCanonicalTarget`. */
  canonicalPath: string
  /** The signed-in user, once known. */
  user?: string
}

/** A Koa context carrying {@link GatewayState}. */
export type GatewayContext = Koa.ParameterizedContext<GatewayState>

/** A request id from a client is kept only when it is a short, plain token. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/**
 * Gives each request an id (from `X-Request-Id` when sane, else a UUID), returned in the response,
 * and a child logger carrying it; writes one log line per request when it is over.
 */
type RequestContextDeps = Pick<AppDeps, 'logger' | 'now' | 'trustedProxies' | 'metrics' | 'lifecycle'>

export function requestContext (deps: RequestContextDeps): Koa.Middleware<GatewayState> {
  const access = plainLogger(deps.logger)
  return async (ctx, next) => {
    const started = deps.now()
    ctx.state.client = resolveClient(ctx.req, deps.trustedProxies)
    const given = ctx.get('x-request-id')
    ctx.state.reqId = SANE_REQUEST_ID.test(given) ? given : randomUUID()
    ctx.state.log = deps.logger.child({ reqId: ctx.state.reqId })
    ctx.state.route = 'ui'
    ctx.set('X-Request-Id', ctx.state.reqId)
    // While stopping, no connection is kept alive for a next request.
    if (deps.lifecycle.shuttingDown) ctx.set('Connection', 'close')
    try {
      await next()
    } finally {
      // 499 (nginx's "client closed request"): the client left before any answer was written.
      const status = ctx.respond === false && !ctx.res.headersSent ? 499 : ctx.status
      deps.metrics.request(ctx.state.route, ctx.method, status)
      if (access.level !== deps.logger.level) access.level = deps.logger.level // a reload sets the root's only
      access.info({
        reqId: ctx.state.reqId,
        method: ctx.method,
        route: ctx.state.route,
        // SECURITY: never the query string, which may carry InfluxDB 1.x `p=` passwords.
        path: (ctx.req.url ?? '').split('?', 1)[0],
        status,
        durationMs: deps.now() - started,
        user: ctx.state.user
      }, 'request')
    }
  }
}
