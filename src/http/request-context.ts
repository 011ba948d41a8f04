import type { IncomingMessage, ServerResponse } from 'node:http'
import type { BlockList } from 'node:net'
import type Koa from 'koa'
import type { Logger } from 'pino'
import type { AppDeps } from '../app-deps.ts'
import type { Identity } from '../auth/identity.ts'
import { createAccessLog } from '../observability/access-log.ts'
import { pathOf, type RouteClass } from '../route-rules.ts'
import { resolveClient, type ClientInfo } from './client-info.ts'
import { createRequestIds } from './request-ids.ts'

/** What the request pipeline's steps share about one request. */
export interface GatewayState {
  reqId: string
  /** A logger carrying the request id; made on first use (most requests log nothing but their access line). */
  readonly log: Logger
  /** Route group for logs and metrics: a route name, never the raw path. */
  route: RouteClass['group'] | 'signin' | 'signout' | 'gateway' | 'preflight' | 'sso' | 'backchannel' | 'sessions'
  /** The client as far as it may be believed (see `server.trustProxy`). */
  client: ClientInfo
  /** The path as route rules match it (`canonicalPath`), the one every rule uses. */
  canonicalPath: string
  /** The route class of the canonical path (`classifyRoute`), decided once before any rule runs. */
  routeClass: RouteClass
  /** The signed-in user, once known. */
  user?: string
  /** The identity a trusted auth proxy asserted for this request (`authProxy:`), once its headers were read. */
  proxyIdentity?: Identity
}

/** A Koa context carrying {@link GatewayState}: what the gateway's own answers (sign-in, errors…) run on. */
export type GatewayContext = Koa.ParameterizedContext<GatewayState>

/**
 * What the steps of a forwarded request use of it. A Koa context has all of it; forwarded requests run
 * on a lighter object with the same meaning (`requestScope`), so they pay for no Koa context.
 */
export interface RequestScope {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly method: string
  state: GatewayState
  /** A request header as Koa's `ctx.get` reads it: `''` when absent, `Referer` under either spelling. */
  get (field: string): string
  /** Sets a response header. */
  set (field: string, value: string): void
}

/** A request id from a client is kept only when it is a short, plain token. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** Until the pipeline classifies the request: nothing public. */
const UNCLASSIFIED: RouteClass = { group: 'ui', public: false, sessionOnly: false }

/** One request's state: plain fields, and the child logger only when something logs. */
class RequestState implements GatewayState {
  route: GatewayState['route'] = 'ui'
  canonicalPath = '/'
  routeClass: RouteClass = UNCLASSIFIED
  user?: string
  proxyIdentity?: Identity = undefined
  private child: Logger | undefined

  constructor (readonly reqId: string, public client: ClientInfo, private readonly root: Logger) {}

  get log (): Logger {
    this.child ??= this.root.child({ reqId: this.reqId })
    return this.child
  }
}

type RequestContextDeps = Pick<AppDeps, 'logger' | 'now' | 'metrics' | 'shutdown'>

/** Starts and finishes each request: its id, client and state; then its metrics and access line. */
export interface RequestContext {
  /**
   * Gives the request an id (from `X-Request-Id` when sane, else 128 random bits), returned in the response;
   * its client as far as `trustedProxies` (its runtime's) let it be believed.
   */
  begin (scope: RequestScope, trustedProxies: BlockList): void
  /** Counts the request with its final `status` and writes its one access line; `started` is from `deps.now()`. */
  finish (scope: RequestScope, started: number, status: number): void
}

/** Creates the request context; the access logger is made once, not per request. */
export function createRequestContext (deps: RequestContextDeps): RequestContext {
  const access = createAccessLog(deps.logger)
  const nextId = createRequestIds()
  return {
    begin (scope, trustedProxies) {
      const given = scope.req.headers['x-request-id']
      const reqId = typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : nextId()
      scope.state = new RequestState(reqId, resolveClient(scope.req, trustedProxies), deps.logger)
      scope.res.setHeader('X-Request-Id', reqId)
      // While stopping, no connection is kept alive for a next request.
      if (deps.shutdown.begun) scope.res.setHeader('Connection', 'close')
    },
    finish (scope, started, status) {
      const state = scope.state
      deps.metrics.request(state.route, scope.method, status)
      access.write({
        reqId: state.reqId,
        method: scope.method,
        route: state.route,
        // SECURITY: never the query string, which may carry InfluxDB 1.x `p=` passwords.
        path: pathOf(scope.req.url ?? ''),
        status,
        durationMs: deps.now() - started,
        user: state.user
      })
    }
  }
}
