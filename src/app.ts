import Koa from 'koa'
import type { Logger } from 'pino'
import type { UserStore } from './auth/user-store.ts'
import type { Config } from './config/schema.ts'
import type { Metrics } from './observability/metrics.ts'
import type { BlockList } from 'node:net'
import { cors } from './http/cors.ts'
import { errorHandler } from './http/error-handler.ts'
import { gatewayRoutes } from './http/gateway-routes.ts'
import { requireCanonicalTarget } from './http/request-target.ts'
import { proxyToInflux } from './http/proxy-to-influx.ts'
import { requestContext, type GatewayState } from './http/request-context.ts'
import { requireSession } from './http/require-session.ts'
import { signInRoutes } from './http/sign-in-routes.ts'
import { upstreamPolicy } from './http/upstream-policy.ts'
import type { InfluxProxy } from './proxy/influx-proxy.ts'
import type { CredentialBuilder } from './proxy/upstream-credential.ts'
import type { SessionCookieOptions } from './session/session-cookie.ts'
import type { SessionStore } from './session/session-store.ts'
import type { SigninThrottle } from './session/signin-throttle.ts'

/** Everything the app uses, built by `createDeps` (or by a test). */
export interface AppDeps {
  config: Config
  logger: Logger
  users: UserStore
  sessions: SessionStore
  /** Failed sign-in counters, in the same store as the sessions. */
  throttle: SigninThrottle
  proxy: InfluxProxy
  credentials: CredentialBuilder
  cookie: SessionCookieOptions
  /** `server.trustProxy` as a lookup. */
  trustedProxies: BlockList
  /** The clock, epoch ms. */
  now: () => number
  metrics: Metrics
  /** Set when the process is stopping: readiness fails and connections are not kept alive. */
  lifecycle: { shuttingDown: boolean }
}

/** The gateway as a Koa app. Wiring only: public routes sit above `requireSession`. */
export function createApp (deps: AppDeps): Koa<GatewayState> {
  const app = new Koa<GatewayState>()
  // Replaces Koa's console.error; errors that reach it happened after the response began.
  app.on('error', (err: unknown) => deps.logger.warn({ err }, 'unhandled koa error'))
  app.use(requestContext(deps))
    .use(cors(deps))
    .use(errorHandler())
    .use(requireCanonicalTarget())
    .use(signInRoutes(deps))
    .use(gatewayRoutes(deps))
    .use(upstreamPolicy(deps))
    .use(requireSession(deps))
    .use(proxyToInflux(deps))
  return app
}
