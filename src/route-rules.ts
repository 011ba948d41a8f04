import { isUtf8 } from 'node:buffer'
import type { IncomingHttpHeaders } from 'node:http'
import { errors, type GatewayError } from './errors.ts'

/**
 * The security rules about request targets and routes, in one place: which targets are served at all,
 * how a path is folded for matching, and what each route needs before it may be forwarded. Checked in
 * this order by the request pipeline:
 *  1. framing: a body is framed by `Content-Length` or plain `chunked` only ({@link targetProblem});
 *  2. the target: origin-form, no `#`, a path whose escapes are UTF-8, no path that servers resolve
 *     differently ({@link targetProblem});
 *  3. the canonical path, what deny-lists and route rules match ({@link canonicalPath}): one per request,
 *     never the raw path in its stead;
 *  4. the route class: public or not, session-only or not ({@link classifyRoute}).
 * The pipeline works out 3 and 4 first (so that a refusal by 1 or 2 answers in the route's dialect), but
 * no rule reads them before 1 and 2 have passed.
 */

/** Dot segments (also percent-encoded), empty segments, backslashes and encoded slashes. */
const AMBIGUOUS = /(^|\/)(\.|%2e){1,2}(\/|$)|\/\/|\\|%2f|%5c/i

/**
 * Why a request must not be served, or undefined when its target and framing are plain. Absolute-form
 * (`GET http://host/…`) and asterisk-form targets, and paths that servers resolve differently
 * (`/health/../api/v2/buckets`, `/api/v2/%2e%2e/…`, `//api`, `\`, `%2f`), get 400 before any route
 * check sees them: what is forwarded is then exactly what was checked. Browsers resolve dot segments
 * themselves, so no real client sends these.
 */
export function targetProblem (target: string, transferEncoding: string | undefined): GatewayError | undefined {
  // SECURITY: Node accepts `gzip, chunked`, decodes the chunks, and the coding before them would be lost on
  // the way (the forwarding engine frames the upstream request itself): InfluxDB would get another body
  // than the client sent. Anything but exactly `chunked` (any case, any spacing; repeated header lines are
  // joined by Node) gets 501, as RFC 9112 §6.1 allows.
  if (transferEncoding !== undefined && transferEncoding.trim().toLowerCase() !== 'chunked') return errors.transferCodingNotImplemented()
  if (!target.startsWith('/')) return errors.badRequest('request target must be a path')
  // A raw `#` never belongs in a request target: URL parsers on the way (ours, a proxy's) drop what
  // follows it while InfluxDB's Go parser keeps it, so what is checked and what arrives could differ.
  if (target.includes('#')) return errors.badRequest('request target must not contain #')
  const path = pathOf(target)
  // SECURITY: a path whose escapes are not UTF-8 (`/debu%67/vars%ff`, `%c0`, `%ed%a0%80`) has no text
  // a route rule could match, while Go decodes it byte by byte and influxd 1.x serves it by prefix as its
  // unauthenticated `/debug/vars`. Refused before any rule sees it, never matched as some other spelling.
  if (!isUtf8Path(path)) return errors.badRequest('request path must be percent-encoded UTF-8')
  if (AMBIGUOUS.test(path)) {
    return errors.badRequest('request path must not contain dot segments, empty segments or encoded slashes')
  }
  return undefined
}

/** Whether a request carries a body: framed by `Transfer-Encoding`, or a `Content-Length` other than 0. */
export function hasBody (headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length']
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}

/** The path part of a request target. */
export function pathOf (target: string): string {
  const q = target.indexOf('?')
  return q < 0 ? target : target.slice(0, q)
}

/** A `%` that does not start an escape (two hex digits): Go refuses such a path, so no client sends one. */
const MALFORMED_ESCAPE = /%(?![0-9a-f]{2})/i

/**
 * Whether every percent-escape of a path is well formed and together they decode to UTF-8 (overlong forms
 * and surrogates excluded): a path that is text. Request targets are ASCII (Node's parser refuses other bytes).
 */
export function isUtf8Path (path: string): boolean {
  if (!path.includes('%')) return true
  return !MALFORMED_ESCAPE.test(path) && isUtf8(escapedBytes(path))
}

/** What needs the full treatment: escapes, backslashes, empty segments, dot segments. */
const SLOW = /%|\\|\/\/|\/\./

/**
 * The path as a router that forgives spelling would see it: percent-escapes decoded, `\` as `/`,
 * empty and dot segments resolved, lowercase, no trailing slash. For deny-lists and route rules, so
 * that `/api/v2//setup` or `/API/v2/%73etup` match `/api/v2/setup`. Total: escapes that are not UTF-8
 * decode to U+FFFD (as browsers show them) and malformed ones stay as they are, so no input ever yields
 * its raw self in place of a decoded path; callers refuse such paths first ({@link isUtf8Path}).
 */
export function canonicalPath (path: string): string {
  // The common case: nothing to decode or resolve, only case and a trailing slash to fold.
  if (path.startsWith('/') && !SLOW.test(path)) {
    return path.length > 1 && path.endsWith('/') ? path.slice(0, -1).toLowerCase() : path.toLowerCase()
  }
  return resolvePath(path)
}

/** {@link canonicalPath} the long way, for any input. */
export function resolvePath (path: string): string {
  const decoded = path.includes('%') ? decodeEscapes(path) : path
  const out: string[] = []
  for (const segment of decoded.replaceAll('\\', '/').split('/')) {
    if (segment === '' || segment === '.') continue
    if (segment === '..') out.pop()
    else out.push(segment.toLowerCase())
  }
  return `/${out.join('/')}`
}

/** The path with its percent-escapes decoded as UTF-8, bytes that are not UTF-8 as U+FFFD. */
function decodeEscapes (path: string): string {
  return escapedBytes(path).toString('utf8')
}

/**
 * The bytes a path stands for: its UTF-8 bytes with each `%XX` replaced by the byte it names, a `%`
 * that starts no escape kept as it is (what Go's and WHATWG's percent-decoding read, byte for byte).
 */
function escapedBytes (path: string): Buffer {
  const bytes = Buffer.from(path, 'utf8')
  let n = 0
  for (let i = 0; i < bytes.length; i++, n++) {
    const hi = bytes[i] === 0x25 ? hexDigit(bytes[i + 1]) : -1
    const lo = hi < 0 ? -1 : hexDigit(bytes[i + 2])
    if (lo < 0) {
      bytes[n] = bytes[i] as number
    } else {
      bytes[n] = hi * 16 + lo
      i += 2
    }
  }
  return bytes.subarray(0, n)
}

/** The value of an ASCII hex digit, or -1. */
function hexDigit (byte: number | undefined): number {
  if (byte === undefined) return -1
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30
  const lower = byte | 0x20
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1
}

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
 * segments, backslashes) is never public, and is grouped by its canonical path, so no spelling of a protected
 * route slips through as public, as a UI page or around the session-only rule. `canonical`: the path's
 * {@link canonicalPath}, when the caller has it already (the pipeline computes it once per request).
 */
export function classifyRoute (method: string, path: string, canonical = canonicalPath(path)): RouteClass {
  // SECURITY: grouped by the path with escapes decoded, as routers on Go's decoded path see it: influxd 1.x
  // serves `/debu%67/vars` as its unauthenticated `/debug/vars`, and a UI page may be opened by a navigation
  // from anywhere while no spelling of `/query` or `/api/…` may.
  const inCanonicalForm = isCanonical(path)
  const isRead = method === 'GET' || method === 'HEAD'
  if (inCanonicalForm && HEALTH.has(canonical)) return { group: 'health', public: true, sessionOnly: false }
  for (const [prefix, group] of PROTECTED) {
    if (canonical === prefix || canonical.startsWith(`${prefix}/`)) {
      // POST /api/v2/setup is public in InfluxDB (onboarding); the upstream policy refuses it unless allowed.
      const isPublic = inCanonicalForm && ((isRead && PUBLIC_API_READS.has(path)) || isOnboarding(method, path))
      return { group, public: isPublic, sessionOnly: group === 'metrics' || group === 'debug' }
    }
  }
  return { group: 'ui', public: inCanonicalForm, sessionOnly: false }
}

/** `POST /api/v2/setup`: InfluxDB's onboarding, the one anonymous request that may carry a body. */
export function isOnboarding (method: string, path: string): boolean {
  return method === 'POST' && path === '/api/v2/setup'
}

function isCanonical (path: string): boolean {
  return path.startsWith('/') && !/%|\\|\/\/|\/\.\.?(?:\/|$)/.test(path)
}
