/**
 * The path as a router that forgives spelling would see it: percent-escapes decoded, `\` as `/`,
 * empty and dot segments resolved, lowercase, no trailing slash. For deny-lists and route rules, so
 * that `/api/v2//setup` or `/API/v2/%73etup` match `/api/v2/setup`.
 */
export function canonicalPath (path: string): string {
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
