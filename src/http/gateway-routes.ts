import type { AppDeps } from '../app-deps.ts'
import { errors } from '../errors.ts'
import type { RouteClass } from '../route-rules.ts'
import { checkUpstreamHealth } from '../forwarder/upstream-health.ts'
import type { GatewayContext } from './request-context.ts'
import { forwardAuthEndpoint } from './forward-auth.ts'
import { requestAccess } from './request-access.ts'
import { sessionsApi } from './sessions-api.ts'
import { sessionsPage } from './sessions-page.ts'

type GatewayRouteDeps = Pick<AppDeps,
'config' | 'sessions' | 'cookie' | 'shutdown' | 'metrics' | 'users' | 'access' | 'refresher' | 'minter' | 'implicitSessions' | 'now' |
'forwardAuth' | 'credentials' | 'upstreamVersion' | 'admins' | 'formTokens'>
type Endpoint = (ctx: GatewayContext, deps: GatewayRouteDeps) => Promise<void>

/** The sessions API (src/http/sessions-api.ts) and the sessions page and its form's action (src/http/sessions-page.ts). */
const SESSIONS_API = '/api/sessions'
const SESSIONS_PAGES: ReadonlySet<string> = new Set(['/sessions', '/sessions/end'])

/** The longest a readiness probe waits for InfluxDB's `/health`. */
const READY_TIMEOUT_MS = 5000

/** The gateway's own endpoints, by path below the prefix. */
const ENDPOINTS: Record<string, Endpoint> = {
  '/health': async (ctx) => { ctx.body = { status: 'pass' } },
  '/ready': ready,
  '/session': session,
  '/metrics': metrics,
  '/auth': forwardAuthEndpoint
}

/**
 * Whether a canonical path is under `server.gatewayPrefix` (stored canonical by the schema): matched on
 * the canonical path so no spelling of the prefix slips through to the upstream.
 */
export function isGatewayPath (path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`)
}

/**
 * The gateway's own endpoints under `server.gatewayPrefix` (default `/gateway`), for a path
 * {@link isGatewayPath} accepted: nothing under it is ever forwarded. All answer GET and HEAD only, and
 * none renews a session or needs a credential other than `/session`'s own cookie, except `/auth` (with
 * `forwardAuth:`), which judges the original request an ingress describes as if it were forwarded, and the
 * sessions API and page (`/api/sessions`, `/sessions`), which see and end sessions.
 */
export async function gatewayRoutes (ctx: GatewayContext, deps: GatewayRouteDeps): Promise<void> {
  const prefix = deps.config.server.gatewayPrefix
  const path = ctx.state.canonicalPath
  ctx.state.route = 'gateway'
  const below = path.slice(prefix.length)
  if (below === SESSIONS_API || below.startsWith(`${SESSIONS_API}/`)) return await sessionsApi(ctx, deps, below.slice(SESSIONS_API.length))
  if (SESSIONS_PAGES.has(below)) return await sessionsPage(ctx, deps, below)
  const endpoint = ENDPOINTS[below]
  if (endpoint === undefined || (endpoint === metrics && !servesMetrics(deps))) throw errors.notFound()
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') throw errors.methodNotAllowed('GET, HEAD')
  ctx.set('Cache-Control', 'no-store')
  await endpoint(ctx, deps)
}

/** Readiness: 200 when the session store answers and InfluxDB is healthy; 503 with the reason otherwise. */
async function ready (ctx: GatewayContext, deps: GatewayRouteDeps): Promise<void> {
  if (deps.shutdown.begun) throw errors.notReady('shutting down')
  try {
    await deps.sessions.ping()
  } catch {
    throw errors.notReady('session store is unavailable')
  }
  const upstream = await checkUpstreamHealth(deps.config.upstream.url, Math.min(deps.config.upstream.timeout, READY_TIMEOUT_MS))
  if (!upstream.ok) throw errors.notReady(upstream.reason)
  ctx.body = { status: 'ready' }
}

/**
 * Who the signed-in browser app is and when its session ends, without renewing it or the upstream. An
 * identity a trusted auth proxy asserted has no session of its own here (an implicit one, when its rule
 * mints, is not renewed either): its name and source only (it wins over a cookie, as on every route).
 */
async function session (ctx: GatewayContext, deps: GatewayRouteDeps): Promise<void> {
  const auth = await requestAccess(ctx, deps, { route: SESSION_ROUTE, uiPage: false, renew: false })
  if (auth.kind === 'authProxy') {
    ctx.body = { user: auth.identity.name, source: auth.identity.source }
    return
  }
  if (auth.kind !== 'session') throw errors.unauthorized()
  const found = auth.found.session
  ctx.body = {
    user: found.user,
    createdAt: new Date(found.createdAt).toISOString(),
    idleExpiresAt: new Date(found.idleExpiresAt).toISOString(),
    absoluteExpiresAt: new Date(found.absoluteExpiresAt).toISOString()
  }
}

/** `/gateway/session` is answered only for a session or an auth-proxy identity: never public, never a client token. */
const SESSION_ROUTE: RouteClass = { group: 'api', public: false, sessionOnly: true }

/** Prometheus text, when served on the main listener (`metrics.listener: main`). */
async function metrics (ctx: GatewayContext, deps: GatewayRouteDeps): Promise<void> {
  ctx.type = deps.metrics.registry.contentType
  ctx.body = await deps.metrics.registry.metrics()
}

function servesMetrics (deps: GatewayRouteDeps): boolean {
  return deps.config.metrics.enabled && deps.config.metrics.listener === 'main'
}
