import type { Logger } from 'pino'
import type { Config } from './config/schema.ts'
import { ConfigError } from './config/load.ts'
import type { Deps } from './deps.ts'

/** Options for {@link createReloader}. */
export interface ReloaderOptions {
  deps: Deps
  logger: Logger
  /** Reads and validates the configuration file again. */
  load: () => Config
}

/** Re-reads the configuration on demand (SIGHUP, `--watch`). */
export interface Reloader {
  /**
   * Applies the file if it is valid and resolves true once it applies (sessions of users it disables
   * are revoked by then); otherwise logs every problem, keeps the running config and resolves false.
   */
  reload (trigger: string): Promise<boolean>
}

/** Settings read once at start: a change is logged as needing a restart and does not apply. */
const RESTART_ONLY: Array<[string, (c: Config) => unknown]> = [
  ['server.host', (c) => c.server.host],
  ['server.port', (c) => c.server.port],
  ['server.tls', (c) => c.server.tls],
  ['metrics.listener', (c) => c.metrics.listener],
  ['metrics.port', (c) => c.metrics.port],
  ['metrics.host', (c) => c.metrics.host],
  ['log.format', (c) => c.log.format],
  ['session.store', (c) => c.session.store],
  ['session.redis', (c) => c.session.redis],
  ['session.recordKey', (c) => c.session.recordKey],
  ['session.previousRecordKey', (c) => c.session.previousRecordKey],
  ['limits.maxHeaderBytes', (c) => c.limits.maxHeaderBytes],
  ['limits.headersTimeout', (c) => c.limits.headersTimeout],
  ['limits.keepAliveTimeout', (c) => c.limits.keepAliveTimeout]
]

/**
 * Live reload: a valid file swaps users, credentials, timeouts, cookie settings, CORS, limits and the
 * upstream without dropping connections or sessions (users disabled or removed lose their sessions
 * at their next request); an invalid one changes nothing.
 */
export function createReloader ({ deps, logger, load }: ReloaderOptions): Reloader {
  return {
    async reload (trigger) {
      let next: Config
      try {
        next = load()
      } catch (err) {
        const problems = err instanceof ConfigError ? err.problems : [(err as Error).message]
        logger.error({ trigger, problems }, 'config reload failed; the running configuration stays')
        deps.metrics.reload('failure')
        return false
      }
      const current = deps.config
      const changed = (Object.keys(next) as Array<keyof Config>).filter((k) => JSON.stringify(next[k]) !== JSON.stringify(current[k]))
      const restartNeeded = RESTART_ONLY.filter(([, get]) => JSON.stringify(get(next)) !== JSON.stringify(get(current))).map(([key]) => key)
      const applied = deps.applyConfig(next)
      logger.level = next.log.level
      deps.metrics.reload('success')
      logger.info({ trigger, changed, users: next.users.length }, 'config reloaded')
      if (restartNeeded.length > 0) logger.warn({ settings: restartNeeded }, 'these settings only take effect after a restart')
      await applied
      return true
    }
  }
}
