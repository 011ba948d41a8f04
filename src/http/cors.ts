import type Koa from 'koa'
import type { GatewayState } from './request-context.ts'

/** What InfluxDB allows cross-origin (influxdb http/handler.go), plus Zap-Trace-Span. */
const ALLOW_METHODS = 'POST, GET, OPTIONS, PUT, PATCH, DELETE'
const ALLOW_HEADERS = 'Accept, Content-Type, Content-Length, Accept-Encoding, Authorization, User-Agent, Zap-Trace-Span'
/** Response headers a cross-origin app may read: InfluxDB's error code and the gateway's request id. */
const EXPOSE_HEADERS = 'X-Platform-Error-Code, X-Request-Id, Retry-After'

/**
 * CORS for the origins in `cors.origins` (exact match). The gateway answers every preflight itself
 * (an upstream must never grant one) and puts the grant on actual responses; the proxy strips any
 * `Access-Control-*` the upstream sends, so only this grant reaches the browser. Unlisted origins
 * get no grant at all.
 */
export function cors (deps: { config: { cors: { origins: string[] } } }): Koa.Middleware<GatewayState> {
  return async (ctx, next) => {
    const origin = ctx.get('origin')
    const allowed = origin !== '' && deps.config.cors.origins.includes(origin)
    ctx.vary('Origin')
    if (allowed) {
      ctx.set('Access-Control-Allow-Origin', origin)
      ctx.set('Access-Control-Allow-Credentials', 'true')
    }
    if (ctx.method === 'OPTIONS' && origin !== '' && ctx.get('access-control-request-method') !== '') {
      ctx.state.route = 'preflight'
      if (allowed) {
        ctx.set('Access-Control-Allow-Methods', ALLOW_METHODS)
        ctx.set('Access-Control-Allow-Headers', ALLOW_HEADERS)
        ctx.set('Access-Control-Max-Age', '600')
      }
      ctx.status = 204
      return
    }
    if (allowed) ctx.set('Access-Control-Expose-Headers', EXPOSE_HEADERS)
    await next()
  }
}
