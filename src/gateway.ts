import { readFileSync } from 'node:fs'
import type http from 'node:http'
import type https from 'node:https'
import type { Logger } from 'pino'
import type { Config } from './config/schema.ts'
import { createDeps, type Deps, type DepsOptions } from './deps.ts'
import { gatewayPipeline } from './http/gateway-pipeline.ts'
import { listenMetrics, type MetricsServer } from './observability/metrics-server.ts'
import { listen, type RunningServer } from './server.ts'

/** A started gateway: its listeners and dependencies. */
export interface Gateway {
  url: string
  /** The separate metrics listener's URL, unless `metrics.listener` is `main` (or metrics are off). */
  metricsUrl?: string
  deps: Deps
  /** The public listener, for whoever needs to watch its requests (the test harness does). */
  server: http.Server | https.Server
  /**
   * Graceful stop: readiness fails at once, the listener stops accepting, in-flight requests get
   * `graceMs` (default `server.shutdownTimeout`) to finish and are then cut, the store closes.
   */
  stop (graceMs?: number): Promise<void>
}

/** What {@link startGateway} takes besides the configuration and the logger. */
export type StartGatewayOptions = Omit<DepsOptions, 'logger'>

/**
 * Starts the gateway for a validated configuration: builds its dependencies, listens where
 * `server` says (TLS when `server.tls` is set) and, unless `metrics.listener` is `main`, starts the separate
 * metrics listener. Whatever started is released again if a later step fails.
 */
export async function startGateway (config: Config, logger: Logger, opts: StartGatewayOptions = {}): Promise<Gateway> {
  const deps = createDeps(config, { ...opts, logger })
  const { host, port, tls } = config.server
  let server: RunningServer | undefined
  let metricsServer: MetricsServer | undefined
  try {
    server = await listen(gatewayPipeline(deps.runtime), {
      host,
      port,
      maxHeaderBytes: config.limits.maxHeaderBytes,
      headersTimeoutMs: config.limits.headersTimeout,
      keepAliveTimeoutMs: config.limits.keepAliveTimeout,
      maxConnections: () => deps.config.limits.maxConnections,
      onConnectionRefused: () => deps.metrics.connectionRefused(),
      tls: tls === undefined ? undefined : { cert: readFileSync(tls.cert), key: readFileSync(tls.key) }
    })
    if (config.metrics.enabled && config.metrics.listener === 'separate') {
      const { host, port } = config.metrics
      metricsServer = await listenMetrics(deps.metrics, { host, port, prefix: config.server.gatewayPrefix })
    }
  } catch (err) {
    await server?.close(0)
    await deps.close()
    throw err
  }
  const running = server
  return {
    url: running.url,
    metricsUrl: metricsServer?.url,
    deps,
    server: running.server,
    async stop (graceMs = deps.config.server.shutdownTimeout) {
      deps.shutdown.begun = true
      await running.close(graceMs)
      await metricsServer?.close()
      await deps.close()
    }
  }
}
