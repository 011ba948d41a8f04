import type { RequestScope } from './request-context.ts'

/** What InfluxDB allows cross-origin (influxdb http/handler.go), plus Zap-Trace-Span. */
const ALLOW_METHODS = 'POST, GET, OPTIONS, PUT, PATCH, DELETE'
const ALLOW_HEADERS = 'Accept, Content-Type, Content-Length, Accept-Encoding, Authorization, User-Agent, Zap-Trace-Span'
/** Response headers a cross-origin app may read: InfluxDB's error code and the gateway's request id. */
const EXPOSE_HEADERS = 'X-Platform-Error-Code, X-Request-Id, Retry-After'

/**
 * CORS for the origins in `cors.origins` (exact match). The gateway answers every preflight itself
 * (an upstream must never grant one) and puts the grant on actual responses; the proxy strips any
 * `Access-Control-*` the upstream sends, so only this grant reaches the browser. Unlisted origins
 * get no grant at all. Returns true when the request is a preflight (to be answered 204 with the headers set here).
 */
export function cors (ctx: RequestScope, origins: readonly string[]): boolean {
  const origin = ctx.req.headers.origin
  const res = ctx.res
  res.setHeader('Vary', 'Origin')
  if (origin === undefined || origin === '') return false
  const allowed = origins.includes(origin)
  if (allowed) {
    res.setHeader('Access-Control-Allow-Origin', origin)
    res.setHeader('Access-Control-Allow-Credentials', 'true')
  }
  if (ctx.method === 'OPTIONS' && ctx.req.headers['access-control-request-method'] !== undefined) {
    ctx.state.route = 'preflight'
    if (allowed) {
      res.setHeader('Access-Control-Allow-Methods', ALLOW_METHODS)
      res.setHeader('Access-Control-Allow-Headers', ALLOW_HEADERS)
      res.setHeader('Access-Control-Max-Age', '600')
    }
    return true
  }
  if (allowed) res.setHeader('Access-Control-Expose-Headers', EXPOSE_HEADERS)
  return false
}
