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
  'headers.cookie', 'headers.authorization', '*.password', '*.token', 'password', 'token'
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
    timestamp: pino.stdTimeFunctions.isoTime
  }, stream)
}
