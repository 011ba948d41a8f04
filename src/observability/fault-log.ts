import type { Logger } from 'pino'

/** Options for {@link createFaultLog}. */
export interface FaultLogOptions {
  logger: Pick<Logger, 'warn' | 'info'>
  now: () => number
  /** What fails, as the lines name it (`InfluxDB requests`): the messages are `<what> failing`, `… still failing`, `… recovered`. */
  what: string
  /**
   * At most one line per this many ms while failures go on (a summary with their count), and how long
   * without a failure before a success ends the episode (so a flapping dependency is one episode).
   */
  intervalMs: number
}

/** A dependency's failures, logged as episodes instead of a line per failure. */
export interface FaultLog {
  /** One failure, by kind (an error code such as `ECONNREFUSED`, never a message that could carry a secret). */
  failed (kind: string): void
  /** One success: ends the episode once `intervalMs` passed without a failure. */
  succeeded (): void
  /** Whether an episode is open (a success has not ended it yet). */
  failing (): boolean
}

interface Episode { since: number, total: number, lastFailure: number, lastLine: number, unreported: Map<string, number> }

/**
 * Logs a dependency's failures once per episode: the first failure at once (`<what> failing`, with its
 * kind), then at most one summary per interval with how many more there were by kind (`… still failing`),
 * and one line when a success comes after a quiet interval (`… recovered`, with the total and how long it
 * lasted). A dead InfluxDB or a paused store fails every request: a line each, with a stack, was thousands
 * of lines a second that hid everything else. Each request keeps its access line with the status.
 */
export function createFaultLog (opts: FaultLogOptions): FaultLog {
  const { logger, now, what, intervalMs } = opts
  let episode: Episode | undefined
  const summarise = (e: Episode, at: number): void => {
    const failures = [...e.unreported.values()].reduce((a, b) => a + b, 0)
    logger.warn({ failures, kinds: Object.fromEntries(e.unreported), sinceMs: at - e.since }, `${what} still failing`)
    e.unreported.clear()
    e.lastLine = at
  }
  return {
    failed (kind) {
      const at = now()
      if (episode === undefined) {
        episode = { since: at, total: 1, lastFailure: at, lastLine: at, unreported: new Map() }
        logger.warn({ kind }, `${what} failing`)
        return
      }
      episode.total++
      episode.lastFailure = at
      episode.unreported.set(kind, (episode.unreported.get(kind) ?? 0) + 1)
      if (at - episode.lastLine >= intervalMs) summarise(episode, at)
    },
    succeeded () {
      if (episode === undefined) return
      const at = now()
      if (at - episode.lastFailure < intervalMs) return
      logger.info({ failures: episode.total, durationMs: episode.lastFailure - episode.since }, `${what} recovered`)
      episode = undefined
    },
    failing: () => episode !== undefined
  }
}
