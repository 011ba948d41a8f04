import { randomUUID } from 'node:crypto'
import type Koa from 'koa'
import type { Logger } from 'pino'
import type { AppDeps } from '../app-deps.ts'
import type { Identity } from '../auth/identity.ts'
import { plainLogger } from '../observability/logger.ts'
import { pathOf, type RouteClass } from '../route-rules.ts'
import { resolveClient, type ClientInfo } from './client-info.ts'

/** What the request pipeline's steps share about one request. */
export interface GatewayState {
  reqId: string
  /** A logger carrying the request id; made on first use (most requests log nothing but their access line). */
  readonly log: Logger
  /** Route group for logs and metrics: a route name, never the raw path. */
  route: RouteClass['group'] | 'signin' | 'signout' | 'gateway' | 'preflight' | 'sso'
  /** The client as far as it may be believed (see `server.trustProxy`). */
  client: ClientInfo
  /** The path as route rules match it (`canonicalPath`), once the target passed the route rules. */
  canonicalPath: string
  /** The signed-in user, once known. */
  user?: string
  /** The identity a trusted auth proxy asserted for this request (`authProxy:`), once its headers were read. */
  proxyIdentity?: Identity
}

/** A Koa context carrying {@link GatewayState}. */
export type GatewayContext = Koa.ParameterizedContext<GatewayState>

/** A request id from a client is kept only when it is a short, plain token. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** One request's state: plain fields, and the child logger only when something logs. */
class RequestState implements GatewayState {
  route: GatewayState['route'] = 'ui'
  canonicalPath = '/'
  user?: string
  proxyIdentity?: Identity = undefined
  private child: Logger | undefined

  constructor (readonly reqId: string, public client: ClientInfo, private readonly root: Logger) {}

  get log (): Logger {
    this.child ??= this.root.child({ reqId: this.reqId })
    return this.child
  }
}

type RequestContextDeps = Pick<AppDeps, 'logger' | 'now' | 'trustedProxies' | 'metrics' | 'lifecycle'>

/** Starts and finishes each request: its id, client and state; then its metrics and access line. */
export interface RequestContext {
  /** Gives the request an id (from `X-Request-Id` when sane, else a UUID), returned in the response. */
  begin (ctx: GatewayContext): void
  /** Counts the request and writes its one access line; `started` is from `deps.now()`. */
  finish (ctx: GatewayContext, started: number): void
}

/** Creates the request context; the access logger is made once, not per request. */
export function createRequestContext (deps: RequestContextDeps): RequestContext {
  const access = plainLogger(deps.logger)
  return {
    begin (ctx) {
      const given = ctx.req.headers['x-request-id']
      const reqId = typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID()
      ctx.state = new RequestState(reqId, resolveClient(ctx.req, deps.trustedProxies), deps.logger)
      ctx.res.setHeader('X-Request-Id', reqId)
      // While stopping, no connection is kept alive for a next request.
      if (deps.lifecycle.shuttingDown) ctx.res.setHeader('Connection', 'close')
    },
    finish (ctx, started) {
      // 499 (nginx's "client closed request"): the client left before any answer was written.
      const status = ctx.respond === false && !ctx.res.headersSent ? 499 : ctx.status
      const state = ctx.state
      deps.metrics.request(state.route, ctx.method, status)
      if (access.level !== deps.logger.level) access.level = deps.logger.level // a reload sets the root's only
      access.info({
        reqId: state.reqId,
        method: ctx.method,
        route: state.route,
        // SECURITY: never the query string, which may carry InfluxDB 1.x `p=` passwords.
        path: pathOf(ctx.req.url ?? ''),
        status,
        durationMs: deps.now() - started,
        user: state.user
      }, 'request')
    }
  }
}
