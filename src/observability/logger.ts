import pino, { type DestinationStream, type Logger } from 'pino'

/** Options for {@link createLogger}. */
export interface LoggerOptions { level: string }

/**
 * Paths pino redacts wherever a request, response or error object is logged. The gateway never logs
 * these on purpose; this is the safety net.
 */
export const REDACT_PATHS = [
  'req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]',
  'headers.cookie', 'headers.authorization', '*.password', '*.token', 'password', 'token'
]

/** pino JSON logs to stdout (or to `destination`, e.g. a test sink). */
export function createLogger (opts: LoggerOptions, destination?: DestinationStream): Logger {
  return pino({
    level: opts.level,
    base: { service: 'influx-gateway' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime
  }, destination ?? pino.destination({ dest: 1, sync: false }))
}
