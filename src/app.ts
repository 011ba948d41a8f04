import Koa from 'koa'
import type { AppDeps } from './app-deps.ts'
import { cors } from './http/cors.ts'
import { errorHandler } from './http/error-handler.ts'
import { gatewayRoutes } from './http/gateway-routes.ts'
import { requireCanonicalTarget } from './http/request-target.ts'
import { proxyToInflux } from './http/proxy-to-influx.ts'
import { requestContext, type GatewayState } from './http/request-context.ts'
import { requireSession } from './http/require-session.ts'
import { signInRoutes } from './http/sign-in-routes.ts'
import { upstreamPolicy } from './http/upstream-policy.ts'

/** The gateway as a Koa app. Wiring only: public routes sit above `requireSession`. */
export function createApp (deps: AppDeps): Koa<GatewayState> {
  const app = new Koa<GatewayState>()
  // Replaces Koa's console.error; errors that reach it happened after the response began.
  app.on('error', (err: unknown) => deps.logger.warn({ err }, 'unhandled koa error'))
  app.use(requestContext(deps))
    .use(cors(deps))
    .use(errorHandler(deps))
    .use(requireCanonicalTarget())
    .use(signInRoutes(deps))
    .use(gatewayRoutes(deps))
    .use(upstreamPolicy(deps))
    .use(requireSession(deps))
    .use(proxyToInflux(deps))
  return app
}
