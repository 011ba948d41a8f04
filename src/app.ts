import type { RequestListener } from 'node:http'
import type { AppDeps } from './app-deps.ts'
import { gatewayPipeline } from './http/gateway-pipeline.ts'

/** The gateway as a request listener for Node's HTTP server. Wiring only: the steps are in `http/gateway-pipeline.ts`. */
export function createApp (deps: AppDeps): { callback: () => RequestListener } {
  return { callback: () => gatewayPipeline(deps) }
}
