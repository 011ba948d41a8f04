import type Koa from 'koa'
import { canonicalPath } from '../canonical-path.ts'
import { errors } from '../errors.ts'
import type { GatewayState } from './request-context.ts'

/** Dot segments (also percent-encoded), empty segments, backslashes and encoded slashes. */
const AMBIGUOUS = /(^|\/)(\.|%2e){1,2}(\/|$)|\/\/|\\|%2f|%5c/i

/**
 * Only plain framing (see {@link refuseTransferCodings}: 501 otherwise) and plain origin-form targets
 * are served. Absolute-form (`GET http://host/…`) and asterisk-form
 * targets, and paths that servers resolve differently (`/health/../api/v2/buckets`,
 * `/api/v2/%2e%2e/…`, `//api`, `\`, `%2f`), get 400 before any route check sees them: what is
 * forwarded is then exactly what was checked. Browsers resolve dot segments themselves, so no real
 * client sends these.
 */
export function requireCanonicalTarget (): Koa.Middleware<GatewayState> {
  return async (ctx, next) => {
    refuseTransferCodings(ctx.req.headers['transfer-encoding'])
    const target = ctx.req.url ?? ''
    if (!target.startsWith('/')) throw errors.badRequest('request target must be a path')
    // A raw `#` never belongs in a request target: URL parsers on the way (ours, a proxy's) drop what
    // follows it while InfluxDB's Go parser keeps it, so what is checked and what arrives could differ.
    if (target.includes('#')) throw errors.badRequest('request target must not contain #')
    const path = target.split('?', 1)[0] ?? ''
    if (AMBIGUOUS.test(path)) throw errors.badRequest('request path must not contain dot segments, empty segments or encoded slashes')
    ctx.state.canonicalPath = canonicalPath(path)
    await next()
  }
}

/**
 * SECURITY: a body is framed by `Content-Length` or by `Transfer-Encoding: chunked` alone. Node
 * accepts `gzip, chunked` (chunked last), decodes the chunks, and the coding before it would be lost
 * on the way (the forwarding engine frames the upstream request itself): InfluxDB would get a
 * different body than the client sent. Anything but exactly `chunked` (any case, any spacing; repeated
 * header lines are joined by Node) gets 501, as RFC 9112 §6.1 allows, before any route sees it.
 */
function refuseTransferCodings (te: string | undefined): void {
  if (te !== undefined && te.trim().toLowerCase() !== 'chunked') throw errors.transferCodingNotImplemented()
}
