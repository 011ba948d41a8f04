import type { Socket } from 'node:net'
import { errors, GatewayError, type ErrorKind } from '../errors.ts'
import { errorResponse, type ErrorDialect } from '../error-response.ts'
import type { UpstreamVersion } from '../forwarder/upstream-version.ts'
import { storeFailureKind } from '../session/store-unavailable.ts'
import type { GatewayContext } from './request-context.ts'

/**
 * What the error handler needs: the upstream's version, for the dialect of the v1 routes, and where the
 * session store's failures are counted.
 */
export interface ErrorHandlerDeps {
  upstreamVersion: Pick<UpstreamVersion, 'major'>
  faults: { store: { failed: (kind: string) => void } }
}

/**
 * 5xx answers not logged per request (each keeps its access line with the status): InfluxDB's failures,
 * which the proxy reported to its fault log (one line per episode), and a failed readiness probe, which
 * orchestrators poll every few seconds and whose answer says why.
 */
const NOT_LOGGED: ReadonlySet<ErrorKind> = new Set(['upstreamDown', 'upstreamFailed', 'upstreamTimeout', 'notReady'])

/**
 * The one place that writes error responses, shaped by `errorResponse`: InfluxDB 2's
 * `{code, message}` with `X-Platform-Error-Code`, or on the v1 routes (`/query`, `/write`) in front of
 * InfluxDB 1.x its `{error}` with `WWW-Authenticate` (what 1.x clients read), or on the single sign-on
 * routes and the sessions page (routes `sso`, `sessions`: where a person's browser lands) an HTML page. GatewayErrors are shown as
 * they are; Koa/Node HTTP errors (`status` + `expose`) keep their status with InfluxDB's code; anything
 * else becomes a 500 with a generic message and is logged.
 */
export function handleError (ctx: GatewayContext, caught: unknown, deps: ErrorHandlerDeps): void {
  const socket = ctx.req.socket as Socket | null
  if (socket === null || socket.destroyed) {
    // The client went away (an aborted upload, say): nobody to answer, nothing went wrong here.
    ctx.respond = false
    return
  }
  const err = toGatewayError(caught)
  // A request without credentials that ran out of time is the client's doing, not a failure here.
  if (err.kind === 'publicRequestTimeout') ctx.state.log.info({ code: err.code, reason: err.message }, 'request cut')
  // A dead InfluxDB or store fails every request: each keeps its access line, the failure is logged per episode.
  else if (err.kind === 'sessionStoreDown') deps.faults.store.failed(storeFailureKind(err.cause))
  else if (err.status >= 500 && !NOT_LOGGED.has(err.kind)) ctx.state.log.error({ err: caught, code: err.code }, 'request failed')
  if (ctx.res.headersSent) {
    // Mid-stream: the status is gone already; cutting the connection is the only honest signal.
    ctx.res.destroy()
    return
  }
  const { status, headers, body } = errorResponse(err, dialect(ctx, deps))
  ctx.respond = true
  ctx.status = status
  ctx.set(headers)
  ctx.body = body
}

function dialect (ctx: GatewayContext, deps: ErrorHandlerDeps): ErrorDialect {
  if (ctx.state.route === 'sso' || ctx.state.route === 'sessions') return 'html'
  if (ctx.state.route === 'backchannel') return 'oauth'
  const major = deps.upstreamVersion.major()
  if (ctx.state.route === 'v1' && major === 1) return 'influxdb1'
  // InfluxDB 3 answers `{"error": …}` on its v1 routes and on every `/api/v3/` route.
  if (major === 3 && (ctx.state.route === 'v1' || ctx.state.canonicalPath.startsWith('/api/v3/'))) return 'influxdb1'
  return 'influxdb2'
}

function toGatewayError (caught: unknown): GatewayError {
  if (caught instanceof GatewayError) return caught
  const status = (caught as { status?: unknown, expose?: unknown } | undefined)?.status
  if (typeof status === 'number' && status >= 400 && status < 500 && (caught as { expose?: unknown }).expose === true) {
    return errors.httpError(status, (caught as Error).message, caught)
  }
  return errors.internal(caught)
}
