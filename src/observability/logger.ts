import pino, { type DestinationStream, type Logger } from 'pino'
import pretty from 'pino-pretty'

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  level: string
  /** `json` lines (default), or `pretty` for humans at a terminal. */
  format?: 'json' | 'pretty'
}

/**
 * Paths pino redacts wherever a request, response or error object is logged. The gateway never logs
 * these on purpose; this is the safety net.
 */
export const REDACT_PATHS = [
  'req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]',
  'headers.cookie', 'headers.authorization', '*.password', '*.token', '*.bindPassword', 'password', 'token', 'bindPassword'
]

/** pino logs to stdout (or to `destination`, e.g. a test sink). */
export function createLogger (opts: LoggerOptions, destination?: DestinationStream): Logger {
  const stream = destination ?? (opts.format === 'pretty'
    ? pretty({ destination: 1, sync: true, translateTime: 'SYS:standard', ignore: 'pid,hostname,service' })
    : pino.destination({ dest: 1, sync: false }))
  return pino({
    level: opts.level,
    base: { service: 'influx-gateway' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: isoTimeEachMs()
  }, stream)
}

/**
 * pino's `isoTime`, formatted once per millisecond: under load several lines share one, and a
 * `toISOString` per line was a measurable part of a proxied request's cost.
 */
function isoTimeEachMs (): () => string {
  let lastMs = -1
  let last = ''
  return () => {
    const ms = Date.now()
    if (ms !== lastMs) {
      lastMs = ms
      last = `,"time":"${new Date(ms).toISOString()}"`
    }
    return last
  }
}

/**
 * A logger for lines whose fields the gateway builds itself from values that are never secret (the
 * per-request access line): the same stream and level, without the redaction pass, which cost a few
 * µs per request. Anything carrying headers, errors or config goes through `logger`.
 */
export function plainLogger (logger: Logger): Logger {
  return logger.child({}, { redact: [] })
}
