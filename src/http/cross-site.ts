import type { GatewayContext } from './request-context.ts'

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * CSRF: true when a cookie-authenticated request with an unsafe method comes from another site:
 * `Sec-Fetch-Site: cross-site`, or an `Origin` (else `Referer`) that is neither the gateway's own
 * origin nor in `cors.origins`. Requests without either header (curl, scripts) are not browsers
 * riding on a cookie and pass. SameSite cookies do not cover this: another port on the same host
 * is the same site.
 */
export function isCrossSiteWrite (ctx: GatewayContext, allowedOrigins: readonly string[]): boolean {
  if (!UNSAFE.has(ctx.method)) return false
  const fetchSite = ctx.get('sec-fetch-site')
  if (fetchSite === 'cross-site') return true
  const origin = ctx.get('origin') || originOf(ctx.get('referer'))
  // A browser that says same-site but names no origin is not one to trust with the cookie.
  if (origin === '') return fetchSite === 'same-site'
  return origin !== ownOrigin(ctx) && !allowedOrigins.includes(origin)
}

/** The gateway's origin as the client sees it, normalised (case, default port) like browsers do. */
function ownOrigin (ctx: GatewayContext): string {
  try {
    return new URL(`${ctx.state.client.https ? 'https' : 'http'}://${ctx.state.client.host}`).origin
  } catch {
    return ''
  }
}

function originOf (referer: string): string {
  if (referer === '') return ''
  try {
    return new URL(referer).origin
  } catch {
    return 'null'
  }
}
