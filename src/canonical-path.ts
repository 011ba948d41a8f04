/** What needs the full treatment: escapes, backslashes, empty segments, dot segments. */
const SLOW = /%|\\|\/\/|\/\./

/**
 * The path as a router that forgives spelling would see it: percent-escapes decoded, `\` as `/`,
 * empty and dot segments resolved, lowercase, no trailing slash. For deny-lists and route rules, so
 * that `/api/v2//setup` or `/API/v2/%73etup` match `/api/v2/setup`.
 */
export function canonicalPath (path: string): string {
  // The common case: nothing to decode or resolve, only case and a trailing slash to fold.
  if (path.startsWith('/') && !SLOW.test(path)) return path.length > 1 && path.endsWith('/') ? path.slice(0, -1).toLowerCase() : path.toLowerCase()
  return resolvePath(path)
}

/** {@link canonicalPath} the long way, for any input. */
export function resolvePath (path: string): string {
  let decoded = path
  try {
    decoded = decodeURIComponent(path)
  } catch {}
  const out: string[] = []
  for (const segment of decoded.replaceAll('\\', '/').split('/')) {
    if (segment === '' || segment === '.') continue
    if (segment === '..') out.pop()
    else out.push(segment.toLowerCase())
  }
  return `/${out.join('/')}`
}
