import type { Logger } from 'pino'
import type { Config } from './config/schema.ts'
import { restartOnlyKeys } from './config/config-reference.ts'
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

/** The value at a YAML path (`server.port`) of a configuration. */
function valueAt (config: Config, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], config)
}

/**
 * Live reload: a valid file swaps users, credentials, timeouts, cookie settings, CORS, limits and the
 * upstream without dropping connections or sessions (users disabled or removed lose their sessions
 * at their next request); an invalid one changes nothing.
 */
export function createReloader ({ deps, logger, load }: ReloaderOptions): Reloader {
  // Settings read once at start, as the schema marks them: a change is logged by name and does not apply.
  const restartOnly = restartOnlyKeys()
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
      const restartNeeded = restartOnly.filter((key) => JSON.stringify(valueAt(next, key)) !== JSON.stringify(valueAt(current, key)))
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
