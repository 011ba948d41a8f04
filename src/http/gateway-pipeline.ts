import type { IncomingMessage, RequestListener } from 'node:http'
import Koa from 'koa'
import type { AppDeps } from '../app-deps.ts'
import { canonicalPath, classifyRoute, pathOf, targetProblem } from '../route-rules.ts'
import { cors } from './cors.ts'
import { handleError } from './error-handler.ts'
import { accessRoute, influx3Access, influx3Governs } from './influx3-access.ts'
import { isPassive } from './passive-routes.ts'
import { gatewayRoutes, isGatewayPath } from './gateway-routes.ts'
import { forwardToInflux } from './forward-to-influx.ts'
import { readAuthProxyIdentity } from './read-auth-proxy-identity.ts'
import { requestAccess } from './request-access.ts'
import { createRequestContext, type GatewayContext, type GatewayState, type RequestScope } from './request-context.ts'
import { requestScope } from './request-scope.ts'
import { signInRoutes, SIGN_IN_PATHS } from './sign-in-routes.ts'
import { isSsoPath, ssoRoutes } from './sso-routes.ts'
import { backchannelLogout, isBackchannelLogoutPath } from './backchannel-logout.ts'
import { uiSigninRedirect, wantsUiSignin } from './ui-signin.ts'
import { upstreamPolicy } from './upstream-policy.ts'

/** What Koa is to do with a request handed to it: an answer of the gateway's own, or an error. */
type Answer = (ctx: GatewayContext) => Promise<void> | void

interface HandOver { state: GatewayState, started: number, answer: Answer, deps: AppDeps }

/**
 * The whole gateway as one request listener: each request passes the same steps in this order, as plain
 * calls (no middleware chain; no child logger unless a step logs):
 *  1. its id, client and state; its canonical path and route class; CORS headers;
 *  2. the route rules (framing, target shape), before anything else answers; then a preflight is answered
 *     and goes no further; with `authProxy:`, its identity headers (believed from a trusted proxy only,
 *     removed from every request);
 *  3. the gateway's own routes: sign-in and sign-out, single sign-on (`<gatewayPrefix>/oidc/…`), then
 *     everything else under `server.gatewayPrefix`;
 *  4. the upstream policy (routes refused whatever the credentials);
 *  5. the access decision (src/http/request-access.ts): an auth proxy's identity, a passed-through token, a
 *     session cookie (resource isolation first for both identity and cookie) or a public route; with
 *     `oidc.uiSignin`, a UI page opened without a session goes to the identity provider instead;
 *  6. in front of InfluxDB 3, its rules (`databases:`, `admin:`: src/http/influx3-access.ts);
 *  7. forwarding to InfluxDB.
 * A request to be forwarded runs on a plain {@link RequestScope}; whatever the gateway answers itself (its
 * own routes, a preflight, a redirect, any error: the one error answer, `handleError`) is handed to Koa
 * with the state so far. Every request ends with its metrics and one access line.
 * Each request reads the runtime (`runtime()`, one configuration's, src/deps/runtime.ts) once, at its start,
 * and every step of it gets that one: a reload while it awaits does not change what it uses.
 */
export function gatewayPipeline (runtime: () => AppDeps): RequestListener {
  // The logger, metrics, clock and shutdown state are long-lived services: the same in every runtime.
  const services = runtime()
  const context = createRequestContext(services)
  const handOvers = new WeakMap<IncomingMessage, HandOver>()
  const koa = new Koa<GatewayState>()
  // Replaces Koa's console.error; errors that reach it happened after the response began.
  koa.on('error', (err: unknown) => services.logger.warn({ err }, 'unhandled koa error'))
  koa.use(async (ctx) => {
    const { state, started, answer, deps } = handOvers.get(ctx.req) as HandOver
    ctx.state = state
    try {
      await answer(ctx)
    } catch (err) {
      handleError(ctx, err, deps)
    } finally {
      // 499 (nginx's "client closed request"): the client left before any answer was written.
      context.finish(ctx, started, ctx.respond === false && !ctx.res.headersSent ? 499 : ctx.status)
    }
  })
  const answerWithKoa = koa.callback()
  const handOver = (scope: RequestScope, started: number, answer: Answer, deps: AppDeps): void => {
    handOvers.set(scope.req, { state: scope.state, started, answer, deps })
    answerWithKoa(scope.req, scope.res) // settles always: Koa catches what its middleware throws
  }

  return (req, res) => {
    const deps = runtime()
    const started = deps.now()
    const scope = requestScope(req, res)
    context.begin(scope, deps.trustedProxies)
    let answer: Answer | undefined
    try {
      answer = ownAnswer(scope, deps)
    } catch (err) {
      answer = () => { throw err }
    }
    if (answer !== undefined) return handOver(scope, started, answer, deps)
    forward(scope, deps).then((redirect) => {
      if (redirect !== undefined) return handOver(scope, started, redirect, deps)
      context.finish(scope, started, res.headersSent ? res.statusCode : 499)
    }, (err: unknown) => handOver(scope, started, () => { throw err }, deps))
      // Only a fault of the gateway's own (its metrics, its log) lands here: logged, never a crash.
      .catch((err: unknown) => deps.logger.error({ err }, 'request bookkeeping failed'))
  }
}

/** Steps 1–3: the answer when the gateway answers the request itself, undefined when it goes on. */
function ownAnswer (scope: RequestScope, deps: AppDeps): Answer | undefined {
  const target = scope.req.url ?? ''
  const rawPath = pathOf(target)
  const path = canonicalPath(rawPath)
  // The route, from the one canonical path, before any rule runs: every answer from here on, refusals of
  // the target and of an auth proxy's identity included, is in the dialect of the route (1.x's on v1).
  const route = classifyRoute(scope.method, rawPath, path)
  scope.state.canonicalPath = path
  scope.state.routeClass = route
  scope.state.route = route.group
  const preflight = cors(scope, deps.config.cors.origins)
  const problem = targetProblem(target, scope.req.headers['transfer-encoding'])
  if (problem !== undefined) throw problem
  if (preflight) return (ctx) => { ctx.status = 204 }
  const authProxy = deps.authProxy
  if (authProxy !== undefined) readAuthProxyIdentity(scope, authProxy, deps)
  if (SIGN_IN_PATHS.has(path)) return (ctx) => signInRoutes(ctx, deps)
  if (isBackchannelLogoutPath(path, deps.config.server.gatewayPrefix)) return (ctx) => backchannelLogout(ctx, deps)
  if (isSsoPath(path, deps.config.server.gatewayPrefix)) return (ctx) => ssoRoutes(ctx, deps)
  if (isGatewayPath(path, deps.config.server.gatewayPrefix)) return (ctx) => gatewayRoutes(ctx, deps)
  return undefined
}

/** Steps 4–7; resolves to the redirect to answer instead when a UI page goes to the identity provider. */
async function forward (scope: RequestScope, deps: AppDeps): Promise<Answer | undefined> {
  upstreamPolicy(scope, deps)
  const route = accessRoute(scope.state.routeClass, deps)
  const auth = await requestAccess(scope, deps, { route, uiPage: route.group === 'ui', renew: !isPassive(scope, deps) })
  if (auth.kind === 'public' && wantsUiSignin(scope, deps)) return (ctx) => { uiSigninRedirect(ctx, deps) }
  await forwardToInflux(scope, deps, auth, influx3Governs(deps, auth) ? await influx3Access(scope, deps, auth) : undefined)
}
