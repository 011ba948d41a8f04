import type Koa from 'koa'
import type { AppDeps } from '../app-deps.ts'
import { canonicalPath, pathOf, targetProblem } from '../route-rules.ts'
import { cors } from './cors.ts'
import { handleError } from './error-handler.ts'
import { gatewayRoutes } from './gateway-routes.ts'
import { proxyToInflux } from './proxy-to-influx.ts'
import { readProxyIdentity } from './read-proxy-identity.ts'
import { createRequestContext, type GatewayContext, type GatewayState } from './request-context.ts'
import { requireSession } from './require-session.ts'
import { signInRoutes, SIGN_IN_PATHS } from './sign-in-routes.ts'
import { isSsoPath, ssoRoutes, uiSigninRedirect } from './sso-routes.ts'
import { upstreamPolicy } from './upstream-policy.ts'

/**
 * The whole gateway as one Koa middleware: each request passes the same steps in this order, as plain
 * calls (no middleware chain to wind through, no closure or child logger made per request):
 *  1. its id, client and state; CORS (a preflight is answered here and goes no further);
 *  2. the route rules (framing, target shape; the canonical path); with `authProxy:`, its identity headers
 *     (believed from a trusted proxy only, removed from every request);
 *  3. the gateway's own routes: sign-in and sign-out, single sign-on (`<gatewayPrefix>/oidc/…`), then
 *     everything else under `server.gatewayPrefix`;
 *  4. the upstream policy (routes refused whatever the credentials);
 *  5. authentication: an auth proxy's identity, a passed-through token, a session cookie (resource isolation
 *     first for both identity and cookie) or a public route; with `oidc.uiSignin`, a UI page opened without
 *     a session goes to the identity provider instead;
 *  6. forwarding to InfluxDB.
 * Any error becomes the one error answer (`handleError`); every request ends with its metrics and one
 * access line.
 */
export function gatewayPipeline (deps: AppDeps): Koa.Middleware<GatewayState> {
  const context = createRequestContext(deps)
  return async (ctx) => {
    const started = deps.now()
    context.begin(ctx)
    try {
      await handle(ctx, deps)
    } catch (err) {
      handleError(ctx, err, deps)
    } finally {
      context.finish(ctx, started)
    }
  }
}

async function handle (ctx: GatewayContext, deps: AppDeps): Promise<void> {
  if (cors(ctx, deps.config.cors.origins)) return
  const target = ctx.req.url ?? ''
  const problem = targetProblem(target, ctx.req.headers['transfer-encoding'])
  if (problem !== undefined) throw problem
  const path = canonicalPath(pathOf(target))
  ctx.state.canonicalPath = path
  const authProxy = deps.authProxy
  if (authProxy !== undefined) readProxyIdentity(ctx, authProxy, deps)
  if (SIGN_IN_PATHS.has(path)) return await signInRoutes(ctx, deps)
  if (isSsoPath(path, deps.config.server.gatewayPrefix)) return await ssoRoutes(ctx, deps)
  if (await gatewayRoutes(ctx, deps)) return
  upstreamPolicy(ctx, deps)
  const auth = await requireSession(ctx, deps)
  if (auth.kind === 'public' && uiSigninRedirect(ctx, deps)) return
  await proxyToInflux(ctx, deps, auth)
}
