import type { RequestScope } from './request-context.ts'

/** What the resource-isolation policy needs to know about the request besides its headers. */
export interface IsolationTarget {
  /** Whether the target is a UI page (route group `ui`): only those may be reached by a navigation from elsewhere. */
  uiPage: boolean
  /** Origins in `cors.origins`, exact and canonical (validated by the config schema). */
  allowedOrigins: readonly string[]
}

/**
 * Resource isolation, the one rule for requests a browser may send with the session cookie (CSRF and
 * cross-site reads alike: InfluxDB 1.x runs `DROP DATABASE` from a `GET /query`). A request is allowed when
 *  1. `Sec-Fetch-Site` is `same-origin` or `none` (the user's own page, or the address bar);
 *  2. its `Origin` (else its `Referer`'s origin) is listed in `cors.origins`;
 *  3. it is a top-level GET/HEAD navigation (`Sec-Fetch-Mode: navigate`, `Sec-Fetch-Dest: document`) to a UI
 *     page: a link from a same-site page may open the UI, never an API route (the cookie rides along);
 *  4. it carries no fetch metadata (curl, client libraries, older browsers) and names no foreign origin in
 *     `Origin` or `Referer` (neither the gateway's own nor listed).
 * Anything else is cross-site. Header values are compared case-insensitively. SameSite cookies do not
 * cover this: another port on the same host is the same site, and a same-site page can navigate the tab.
 * Returns true when the request must be refused.
 */
export function isCrossSiteRequest (ctx: RequestScope, target: IsolationTarget): boolean {
  const fetchSite = ctx.get('sec-fetch-site').toLowerCase()
  if (fetchSite === 'same-origin' || fetchSite === 'none') return false
  const origin = normalizedOrigin(ctx.get('origin')) ?? normalizedOrigin(ctx.get('referer'))
  if (origin !== undefined && target.allowedOrigins.includes(origin)) return false
  if (fetchSite !== '') return !(target.uiPage && isNavigation(ctx))
  return origin !== undefined && origin !== ownOrigin(ctx)
}

function isNavigation (ctx: RequestScope): boolean {
  return (ctx.method === 'GET' || ctx.method === 'HEAD') &&
    ctx.get('sec-fetch-mode').toLowerCase() === 'navigate' &&
    ctx.get('sec-fetch-dest').toLowerCase() === 'document'
}

/** The gateway's origin as the client sees it, normalised (case, default port) like browsers do. */
function ownOrigin (ctx: RequestScope): string {
  return normalizedOrigin(`${ctx.state.client.https ? 'https' : 'http'}://${ctx.state.client.host}`) ?? ''
}

/**
 * The origin a header names, normalised; `null` (an opaque origin) or anything unparsable is `'null'`,
 * which no configuration can list. Undefined when the header is absent.
 */
function normalizedOrigin (value: string): string | undefined {
  if (value === '') return undefined
  try {
    return new URL(value).origin
  } catch {
    return 'null'
  }
}
