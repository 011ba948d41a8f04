import { hash } from 'node:crypto'
import { readCookies } from '../session/session-cookie.ts'
import type { GatewayContext } from './request-context.ts'

/** Name of the flow cookie before its tag; `__Secure-` over HTTPS, so that no plain-HTTP page can set it. */
const BASE = 'influx-gateway-sso'

/** Where the flow cookie is sent: the callback route only. */
export interface FlowCookieScope {
  /** The callback's path (`<gatewayPrefix>/oidc/callback`). */
  path: string
  https: boolean
}

/**
 * The flow cookie's name for a flow's `state`: tagged with a digest of it, so flows started in several
 * tabs each keep their own cookie, and the callback finds the one its `state` names.
 */
function cookieName (state: string, https: boolean): string {
  return `${https ? '__Secure-' : ''}${BASE}-${hash('sha256', state, 'base64url').slice(0, 12)}`
}

function attributes (scope: FlowCookieScope): string {
  // SameSite=Lax: the provider sends the browser back with a cross-site top-level GET, which Strict would
  // strip the cookie from; Lax still keeps it off cross-site subrequests and POSTs.
  return `Path=${scope.path}; HttpOnly; SameSite=Lax${scope.https ? '; Secure' : ''}`
}

/** `Set-Cookie` binding the flow `id` to this browser, for `maxAgeMs`. */
export function flowCookie (state: string, id: string, maxAgeMs: number, scope: FlowCookieScope): string {
  return `${cookieName(state, scope.https)}=${id}; ${attributes(scope)}; Max-Age=${Math.max(1, Math.floor(maxAgeMs / 1000))}`
}

/** `Set-Cookie` that drops the flow cookie of `state`. */
export function clearedFlowCookie (state: string, scope: FlowCookieScope): string {
  return `${cookieName(state, scope.https)}=; ${attributes(scope)}; Max-Age=0`
}

/** The flow ids the request's flow cookie for `state` carries (normally one). */
export function flowIds (ctx: GatewayContext, state: string, https: boolean): string[] {
  return readCookies(ctx.get('cookie') || undefined, cookieName(state, https))
}
