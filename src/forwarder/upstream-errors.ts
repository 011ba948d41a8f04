import { errors, GatewayError } from '../errors.ts'

/** Error codes that mean InfluxDB could not be reached at all (undici passes the socket's own code). */
const DOWN = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'UND_ERR_CONNECT_TIMEOUT'])

/** undici's code for no response headers within `upstream.timeout`. */
const TIMEOUT = 'UND_ERR_HEADERS_TIMEOUT'

/** The proxy's code for a request body that stopped arriving for `upstream.timeout`. */
export const BODY_STALLED = 'GATEWAY_BODY_STALLED'

/** A connection InfluxDB closed or reset under a request (undici: `other side closed`). */
const RESET = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'])

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
  if (code === TIMEOUT || code === BODY_STALLED) return 'timeout'
  if (code !== undefined && DOWN.has(code)) return 'refused'
  if (code !== undefined && RESET.has(code)) return 'reset'
  return 'other'
}

/** The error's code (e.g. `ECONNREFUSED`), secret-free, for logs. */
export function errorCode (err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code
}
