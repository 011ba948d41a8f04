import { errors, GatewayError } from '../errors.ts'

/** Error codes that mean InfluxDB could not be reached at all. */
const DOWN = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED'])

/** The code an upstream timeout is tagged with by the proxy. */
export const UPSTREAM_TIMEOUT = 'UPSTREAM_TIMEOUT'

/** How an upstream request failed, for metrics and logs. */
export type UpstreamFailure = 'refused' | 'reset' | 'timeout' | 'other'

/**
 * Maps a transport failure to the error the client gets (reply-from `lib/errors.js`):
 * unreachable → 503, no headers within `upstream.timeout` → 504, anything else (reset, malformed) → 502.
 */
export function mapUpstreamError (err: unknown): GatewayError {
  if (err instanceof GatewayError) return err
  const kind = upstreamFailure(err)
  if (kind === 'timeout') return errors.upstreamTimeout(err)
  if (kind === 'refused') return errors.upstreamDown(err)
  return errors.upstreamFailed(err)
}

/** Classifies a transport failure. */
export function upstreamFailure (err: unknown): UpstreamFailure {
  const code = errorCode(err)
  if (code === UPSTREAM_TIMEOUT) return 'timeout'
  if (code !== undefined && DOWN.has(code)) return 'refused'
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'reset'
  return 'other'
}

/** The error's code (e.g. `ECONNREFUSED`), secret-free, for logs. */
export function errorCode (err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code
}
