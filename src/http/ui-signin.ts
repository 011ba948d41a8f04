import type { AppDeps } from '../app-deps.ts'
import type { GatewayContext, RequestScope } from './request-context.ts'
import { localReturnTo } from './return-to.ts'

/**
 * With `oidc.uiSignin`: whether a request without a live session is a browser opening one of the InfluxDB
 * UI's pages (its `/signin` page included), to be sent to the provider ({@link uiSigninRedirect}). Only
 * top-level page loads: the UI's own scripts and API calls are answered as before.
 */
export function wantsUiSignin (scope: RequestScope, deps: Pick<AppDeps, 'config'>): boolean {
  return deps.config.oidc?.uiSignin === true && scope.state.routeClass.group === 'ui' && isPageLoad(scope)
}

/** Sends a page load {@link wantsUiSignin} picked to the provider, to come back to that page (for `/signin`, to its `returnTo`). */
export function uiSigninRedirect (ctx: GatewayContext, deps: Pick<AppDeps, 'config'>): void {
  const prefix = deps.config.server.gatewayPrefix
  const path = ctx.state.canonicalPath
  const back = path === '/signin' || path.startsWith('/signin/')
    ? localReturnTo(typeof ctx.query.returnTo === 'string' ? ctx.query.returnTo : undefined, prefix)
    : localReturnTo(ctx.originalUrl, prefix)
  ctx.set('Cache-Control', 'no-store')
  ctx.redirect(`${prefix}/oidc/login?returnTo=${encodeURIComponent(back ?? '/')}`)
}

/** A GET of a document: `Sec-Fetch-Dest: document`, or without fetch metadata an `Accept` asking for HTML. */
export function isPageLoad (scope: RequestScope): boolean {
  if (scope.method !== 'GET') return false
  const dest = scope.get('sec-fetch-dest').toLowerCase()
  return dest === '' ? scope.get('accept').includes('text/html') : dest === 'document'
}
