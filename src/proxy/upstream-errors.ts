import { errors, GatewayError } from '../errors.ts'

/** Error codes that mean InfluxDB could not be reached at all. */
const DOWN = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED'])

/** The code an upstream timeout is tagged with by the proxy. */
export const UPSTREAM_TIMEOUT = 'UPSTREAM_TIMEOUT'

/**
 * Maps a transport failure to the error the client gets (reply-from `lib/errors.js`):
 * unreachable → 503, no headers within `upstream.timeout` → 504, anything else (reset, malformed) → 502.
 */
export function mapUpstreamError (err: unknown): GatewayError {
  if (err instanceof GatewayError) return err
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  if (code === UPSTREAM_TIMEOUT) return errors.upstreamTimeout(err)
  if (code !== undefined && DOWN.has(code)) return errors.upstreamDown(err)
  return errors.upstreamFailed(err)
}

/** A short, secret-free description of a transport failure for logs. */
export function upstreamErrorKind (err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? (err as Error | undefined)?.name ?? 'unknown'
}
