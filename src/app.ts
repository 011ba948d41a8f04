import Koa from 'koa'
import type { AppDeps } from './app-deps.ts'
import { gatewayPipeline } from './http/gateway-pipeline.ts'
import type { GatewayState } from './http/request-context.ts'

/** The gateway as a Koa app. Wiring only: the request's steps are in `http/gateway-pipeline.ts`. */
export function createApp (deps: AppDeps): Koa<GatewayState> {
  const app = new Koa<GatewayState>()
  // Replaces Koa's console.error; errors that reach it happened after the response began.
  app.on('error', (err: unknown) => deps.logger.warn({ err }, 'unhandled koa error'))
  app.use(gatewayPipeline(deps))
  return app
}
