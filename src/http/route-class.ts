/** A route group: a label for logs and metrics (never the raw path) and what it needs to be forwarded. */
export interface RouteClass {
  group: 'health' | 'ui' | 'api' | 'v1' | 'metrics' | 'debug' | 'legacy'
  /** InfluxDB answers it without credentials, so the gateway forwards it anonymously. */
  public: boolean
  /**
   * Needs a session whatever the `Authorization` header says: InfluxDB does not authenticate these
   * routes (1.x `/debug/*` and `/metrics`, 2.x `/debug/pprof/*` and `/metrics`), so a passed-through token
   * would be checked by nobody.
   */
  sessionOnly: boolean
}

/** Prefixes InfluxDB protects (matched case-insensitively, as a prefix segment). */
const PROTECTED: Array<[string, RouteClass['group']]> = [
  ['/api', 'api'], ['/query', 'v1'], ['/write', 'v1'], ['/metrics', 'metrics'], ['/debug', 'debug'], ['/legacy', 'legacy']
]
const HEALTH = new Set(['/health', '/ready', '/ping'])
const PUBLIC_API_READS = new Set(['/api/v2', '/api/v2/', '/api/v2/setup'])

/**
 * Classifies a request path the way InfluxDB's authentication middleware does: `/health`, `/ready`,
 * `/ping`, `GET /api/v2`, `GET /api/v2/setup` and the UI's assets (anything outside the protected
 * prefixes) are public. A path that is not in canonical form (percent-escapes, dot segments, empty
 * segments, backslashes) is never public, so no spelling of a protected route slips through as public.
 */
export function classifyRoute (method: string, path: string): RouteClass {
  const lower = path.toLowerCase()
  const canonical = isCanonical(path)
  const isRead = method === 'GET' || method === 'HEAD'
  if (canonical && HEALTH.has(lower)) return { group: 'health', public: true, sessionOnly: false }
  for (const [prefix, group] of PROTECTED) {
    if (lower === prefix || lower.startsWith(`${prefix}/`)) {
      // POST /api/v2/setup is public in InfluxDB (onboarding); upstreamPolicy refuses it unless allowed.
      const onboarding = method === 'POST' && path === '/api/v2/setup'
      const isPublic = canonical && ((isRead && PUBLIC_API_READS.has(path)) || onboarding)
      return { group, public: isPublic, sessionOnly: group === 'metrics' || group === 'debug' }
    }
  }
  return { group: 'ui', public: canonical, sessionOnly: false }
}

function isCanonical (path: string): boolean {
  return path.startsWith('/') && !/%|\\|\/\/|\/\.\.?(?:\/|$)/.test(path)
}
