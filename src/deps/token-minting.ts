import type { Logger } from 'pino'
import type { Config } from '../config/schema.ts'
import { createInfluxAdminClient, type InfluxAdminClientOptions } from '../mint/influx-admin-client.ts'
import { createInflux2Backend } from '../mint/influx2-backend.ts'
import { createInflux3AdminClient } from '../mint/influx3-admin-client.ts'
import { createInflux3Backend } from '../mint/influx3-backend.ts'
import { createTokenMinter, type TokenMinter } from '../mint/token-minter.ts'
import type { Metrics } from '../observability/metrics.ts'
import type { SessionStore } from '../session/session-store.ts'

/** The minter and its periodic orphan sweep. */
export interface TokenMinting {
  minter: TokenMinter
  /** Sweeps once now (start-up) and then every `upstream.mintSweepInterval`; a no-op without an operator token. */
  start (sessions: () => SessionStore): void
  /**
   * Stops the sweep. With the in-process store the sessions die with the process, so the tokens they hold
   * are deleted first (within `graceMs`); not those of another gateway on the same InfluxDB (one taking over).
   */
  close (graceMs: number): Promise<void>
}

/** Longest one call to InfluxDB's API may take while minting or revoking. */
const ADMIN_TIMEOUT_MS = 10_000

/** What {@link createTokenMinting} needs besides the config. */
export interface TokenMintingOptions {
  logger: Logger
  metrics: Metrics
  now: () => number
  /** InfluxDB's major version, configured or learned (a probe when unknown): the sweep's backend. */
  upstreamMajor: () => Promise<1 | 2 | 3 | undefined>
}

/**
 * The token minter over InfluxDB's API with the operator token (InfluxDB 2's and 3's), config read live.
 * Part of `createDeps` (src/deps.ts), the only module that imports it.
 */
export function createTokenMinting (
  initial: Config, config: () => Config, { logger, metrics, now, upstreamMajor }: TokenMintingOptions
): TokenMinting {
  const inProcess = initial.session.store !== 'redis'
  const namespace = inProcess ? 'memory' : initial.session.redis?.keyPrefix ?? 'influx-gateway:'
  const admin: InfluxAdminClientOptions = {
    url: () => config().upstream.url,
    operatorToken: () => config().upstream.operatorToken,
    timeoutMs: () => Math.min(config().upstream.timeout, ADMIN_TIMEOUT_MS)
  }
  const minter = createTokenMinter({
    backends: {
      influx2: createInflux2Backend({ client: createInfluxAdminClient(admin), now, namespace }),
      influx3: createInflux3Backend({
        client: createInflux3AdminClient(admin),
        url: admin.url,
        now,
        namespace,
        // The token lives no longer than the longest its session can.
        expirySecs: () => Math.ceil(config().session.absoluteTimeout / 1000)
      })
    },
    sweepsInflux3: async () => await upstreamMajor() === 3,
    logger,
    metrics,
    now,
    namespace
  })
  let timer: NodeJS.Timeout | undefined
  let store: (() => SessionStore) | undefined
  const sweep = (stopping = false): Promise<void> => {
    if (config().upstream.operatorToken === undefined || store === undefined) return Promise.resolve()
    const sessions = store
    return minter.sweep((ids) => sessions().heldAuthorizations(ids), { stopping }).then(
      (swept) => {
        if (swept > 0) logger.info({ swept }, stopping ? 'minted tokens of the ending sessions deleted' : 'orphaned minted tokens deleted')
      },
      (err: unknown) => logger.warn({ err: (err as Error).message }, 'minted token sweep failed; retried at the next interval'))
  }
  return {
    minter,
    start (sessions) {
      store = sessions
      sweep().catch(() => {})
      const tick = (): void => {
        timer = setTimeout(() => { sweep().finally(tick).catch(() => {}) }, config().upstream.mintSweepInterval)
        timer.unref()
      }
      tick()
    },
    async close (graceMs) {
      clearTimeout(timer)
      if (inProcess) {
        let giveUp: NodeJS.Timeout | undefined
        await Promise.race([sweep(true), new Promise((resolve) => { giveUp = setTimeout(resolve, graceMs) })])
        clearTimeout(giveUp)
      }
      minter.close()
    }
  }
}
