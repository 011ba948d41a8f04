import { readFileSync } from 'node:fs'
import type { Logger } from 'pino'
import { createApp } from './app.ts'
import type { Config } from './config/schema.ts'
import { createDeps, type Deps } from './deps.ts'
import { listenMetrics, type MetricsServer } from './observability/metrics-server.ts'
import { listen, type RunningServer } from './server.ts'

/** A started gateway: its listeners and dependencies. */
export interface Gateway {
  url: string
  /** The separate metrics listener's URL, when `metrics.port` is set. */
  metricsUrl?: string
  deps: Deps
  /**
   * Graceful stop: readiness fails at once, the listener stops accepting, in-flight requests get
   * `server.shutdownTimeout` to finish and are then cut, the store closes.
   */
  stop (): Promise<void>
}

/** Starts the gateway for a validated configuration. */
export async function startGateway (config: Config, logger: Logger): Promise<Gateway> {
  const deps = createDeps(config, { logger })
  const { host, port, tls } = config.server
  let server: RunningServer | undefined
  let metricsServer: MetricsServer | undefined
  try {
    server = await listen(createApp(deps), {
      host,
      port,
      maxHeaderBytes: config.limits.maxHeaderBytes,
      headersTimeoutMs: config.limits.headersTimeout,
      keepAliveTimeoutMs: config.limits.keepAliveTimeout,
      maxConnections: () => deps.config.limits.maxConnections,
      onConnectionRefused: () => deps.metrics.connectionRefused(),
      tls: tls === undefined ? undefined : { cert: readFileSync(tls.cert), key: readFileSync(tls.key) }
    })
    if (config.metrics.enabled && config.metrics.port !== undefined) {
      metricsServer = await listenMetrics(deps.metrics, { host: config.metrics.host, port: config.metrics.port, prefix: config.server.gatewayPrefix })
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
    async stop () {
      deps.lifecycle.shuttingDown = true
      await running.close(deps.config.server.shutdownTimeout)
      await metricsServer?.close()
      await deps.close()
    }
  }
}
