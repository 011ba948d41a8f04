import { canonicalPath, classifyRoute, isUtf8Path } from '../route-rules.ts'

/** Longest `returnTo` kept; a longer one is replaced by `/`. */
const MAX_RETURN_TO = 2048

/** Stand-in origin to resolve a path against: whatever resolves elsewhere is not a local path. */
const HERE = 'http://gateway.invalid'

/**
 * `value` when it is a UI page on this gateway to send the browser back to, normalised (percent-encoded,
 * no fragment), else undefined. `avoid` is a path prefix never returned to (the gateway's own routes:
 * the sign-in routes would loop, logout would end the new session).
 */
export function localReturnTo (value: string | undefined, avoid: string): string | undefined {
  if (value === undefined || value === '' || value.length > MAX_RETURN_TO) return undefined
  // SECURITY: open redirect. Only a path: one leading `/` and no second `/` or `\` after it (`//host` and
  // `/\host` are other hosts to a browser), no scheme, and no control characters or spaces (browsers drop
  // tabs and newlines inside URLs: `/\t/host` would become `//host`). Then resolved, to be sure it stays here.
  if (!/^\/(?![/\\])[^\\\s]*$/.test(value) || hasControl(value)) return undefined
  let url: URL
  try {
    url = new URL(value, HERE)
  } catch {
    return undefined
  }
  // A path the gateway would refuse (escapes that are not UTF-8: `/query%ff`) is no page to return to.
  if (url.origin !== HERE || url.pathname.startsWith('//') || !isUtf8Path(url.pathname)) return undefined
  // Compared as the gateway routes it, by the one canonical path (case folded, escapes decoded):
  // `/Gateway/%6fidc/logout` is logout.
  const path = canonicalPath(url.pathname)
  if (path === avoid || path.startsWith(`${avoid}/`)) return undefined
  // SECURITY: CSRF through the sign-in. The browser continues to `returnTo` from the gateway's own page or
  // redirect, as a same-origin request that resource isolation lets through: only a UI page, which a
  // navigation from anywhere may open anyway, never an API route (InfluxDB 1.x drops a database on a
  // `GET /query`).
  if (classifyRoute('GET', url.pathname, path).group !== 'ui') return undefined
  return `${url.pathname}${url.search}`
}

/** Whether text holds a C0 control character or DEL. */
function hasControl (text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x20 || c === 0x7f) return true
  }
  return false
}
