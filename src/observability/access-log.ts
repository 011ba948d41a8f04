import pino, { type Logger } from 'pino'

/** What one request's access line says: values the gateway sets itself, none of them secret. */
export interface AccessEntry {
  reqId: string
  method: string
  route: string
  /** The path without its query string (which may carry InfluxDB 1.x `p=` passwords). */
  path: string
  status: number
  durationMs: number
  user: string | undefined
}

/** Writes the one access line per request. */
export interface AccessLog {
  write (entry: AccessEntry): void
}

type LineStream = { write (line: string): unknown }
type PinoInternals = Logger & { [k: symbol]: unknown }

/**
 * The access line as the logger would write it (its stream, level, time, base fields and field order;
 * `msg: "request"`), built as one string from known fields: pino's generic serialisation of the same
 * object cost several µs of a forwarded request in place (BENCHMARKS.md). Strings are JSON-escaped;
 * the level is read per line, so a reload's new level applies.
 */
export function createAccessLog (logger: Logger): AccessLog {
  const internals = logger as PinoInternals
  const stream = internals[pino.symbols.streamSym] as LineStream
  const time = internals[pino.symbols.timeSym] as () => string
  const base = internals[pino.symbols.chindingsSym] as string
  const INFO = pino.levels.values.info as number
  return {
    write (e) {
      if (logger.levelVal > INFO) return
      const user = e.user === undefined ? '' : `,"user":${JSON.stringify(e.user)}`
      stream.write(`{"level":${INFO}${time()}${base},"reqId":${JSON.stringify(e.reqId)},"method":${JSON.stringify(e.method)},` +
        `"route":"${e.route}","path":${JSON.stringify(e.path)},"status":${e.status},"durationMs":${e.durationMs}${user},"msg":"request"}\n`)
    }
  }
}
