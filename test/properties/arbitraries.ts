/**
 * fast-check arbitraries for hostile HTTP requests, and the oracles the properties judge them by.
 *
 * Requests are generated as {@link RequestSpec}s: plain data that fast-check can print and shrink. A
 * header value is a list of {@link Piece}s so that the live session id (known only once the gateway
 * runs) can be dropped in, as is or mutated, when the request is rendered with {@link renderRequest}.
 * Everything rendered is latin1 without CR/LF: what an HTTP/1.1 client can put on the wire without
 * starting a new header line.
 * @packageDocumentation
 */
import fc from 'fast-check'

/** The gateway's (and InfluxDB's) session cookie name. */
export const COOKIE_NAME = 'influxdb-oss-session'

/** How the live session id is altered before it goes into a cookie. */
export type IdMutation =
  | { op: 'as-is' }
  | { op: 'replace', at: number, char: string }
  | { op: 'truncate', at: number }
  | { op: 'extend', text: string }
  | { op: 'swap-case' }
  | { op: 'quote' }
  | { op: 'pad', text: string }
  | { op: 'percent-encode', at: number }
  | { op: 'double' }

/**
 * Part of a header value: literal text, the live session id after a mutation, or `text` repeated
 * `times` (huge values stay short in a counterexample, and shrink by their length).
 */
export type Piece = string | { session: IdMutation } | { repeat: string, times: number }

/** One header line as generated. */
export interface HeaderSpec { name: string, value: Piece[] }

/** A request as generated: rendered to bytes by the test with the live session id. */
export interface RequestSpec {
  method: string
  /** The request target (origin-form, query included), sent as is. */
  target: string
  headers: HeaderSpec[]
  /** Sent with a `Content-Length`. */
  body?: Piece[]
}

/** A request ready for the wire. */
export interface RenderedRequest {
  method: string
  target: string
  headers: Array<[string, string]>
  body?: string
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** The session id after `m`. */
export function mutateId (id: string, m: IdMutation): string {
  const at = (n: number): number => Math.min(n, id.length)
  switch (m.op) {
    case 'as-is': return id
    case 'replace': return id.slice(0, at(m.at)) + m.char + id.slice(at(m.at) + 1)
    case 'truncate': return id.slice(0, at(m.at))
    case 'extend': return id + m.text
    case 'swap-case': return [...id].map((c) => c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()).join('')
    case 'quote': return `"${id}"`
    case 'pad': return `${m.text}${id}${m.text}`
    case 'percent-encode': {
      const i = at(m.at) % Math.max(id.length, 1)
      return `${id.slice(0, i)}%${(id.charCodeAt(i) || 0x41).toString(16).toUpperCase()}${id.slice(i + 1)}`
    }
    case 'double': return id + id
  }
}

/** A header value with the session id filled in. */
export function renderValue (pieces: readonly Piece[], sessionId: string): string {
  return pieces.map((p) => typeof p === 'string' ? p : 'session' in p ? mutateId(sessionId, p.session) : p.repeat.repeat(p.times)).join('')
}

/** The request with the session id filled in. */
export function renderRequest (spec: RequestSpec, sessionId: string): RenderedRequest {
  return {
    method: spec.method,
    target: spec.target,
    headers: spec.headers.map((h) => [h.name, renderValue(h.value, sessionId)]),
    ...(spec.body === undefined ? {} : { body: renderValue(spec.body, sessionId) })
  }
}

/** Every value of one header (case-insensitive name), as rendered. */
export function headerValues (req: RenderedRequest, name: string): string[] {
  return req.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v)
}

// ---------------------------------------------------------------------------------------------
// Header values
// ---------------------------------------------------------------------------------------------

/** One character a header value may hold: HTAB, visible ASCII and space, obs-text (0x80–0xFF). */
const latin1Char: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.integer({ min: 0x20, max: 0x7e }), weight: 6 },
  { arbitrary: fc.integer({ min: 0x80, max: 0xff }), weight: 2 },
  { arbitrary: fc.constant(0x09), weight: 1 }
).map((c) => String.fromCharCode(c))

/** Control-free latin1 text (no CR, LF or NUL), binary-ish: what a header line can carry. */
export function latin1Text (maxLength = 64): fc.Arbitrary<string> {
  return fc.string({ unit: latin1Char, maxLength })
}

/** Whitespace between an auth scheme and its credential, including none and tabs. */
const schemeGap = fc.constantFrom(' ', ' ', '  ', '\t', '', ' \t ')

/** Auth scheme words, including near-misses of `Token`/`Bearer`. */
const schemeWord = fc.constantFrom(
  'Token', 'token', 'TOKEN', 'Bearer', 'bearer', 'BeArEr', 'Basic', 'basic', 'BASIC', 'Digest', 'Negotiate',
  'Tokens', 'Bearer,', 'Tok en', 'xToken', '"Token"', 'Token:', ''
)

const base64Blob = fc.uint8Array({ maxLength: 48 }).map((b) => Buffer.from(b).toString('base64'))
const garbledBase64 = fc.tuple(base64Blob, fc.constantFrom('', '=', '==', '===', '!', ' ', '%3D', '\t')).map(([b, s]) => b + s)
const basicOf = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
/** Sign-in credentials of the test user: valid for sign-in, never a credential for the proxy. */
const aliceBasic = basicOf('alice', 'correct horse battery staple')

/** Credentials after a scheme: base64, text, things shaped like session ids or tokens. */
const credential = fc.oneof(
  base64Blob,
  garbledBase64,
  latin1Text(40),
  fc.string({ unit: fc.constantFrom(...BASE64URL), minLength: 1, maxLength: 60 }),
  fc.constantFrom('test-token', 'test-token ', 'null', 'undefined', '""', 'a b', 'x,y')
)

/** A value 1–12 KB long: a prefix, then one short text repeated. */
function huge (prefixes: readonly string[]): fc.Arbitrary<Piece[]> {
  return fc.record({
    prefix: fc.constantFrom(...prefixes),
    fill: fc.constantFrom('x', 'A', '=', ';', ' ', '\u00e9', '%', 'a=b;', `${COOKIE_NAME}=x;`),
    bytes: fc.integer({ min: 1024, max: 12 * 1024 })
  }).map(({ prefix, fill, bytes }): Piece[] => [prefix, { repeat: fill, times: Math.ceil(bytes / fill.length) }])
}

/**
 * `Authorization` values: random latin1, `<scheme> <credential>` for real and near-miss schemes
 * (`Token`, `Bearer`, `Basic` with good, bad and random base64, the test user's real sign-in
 * credentials), and huge values.
 */
export function authorizationValue (): fc.Arbitrary<Piece[]> {
  return fc.oneof(
    { arbitrary: latin1Text().map((v): Piece[] => [v]), weight: 2 },
    { arbitrary: fc.tuple(schemeWord, schemeGap, credential).map(([s, g, c]): Piece[] => [`${s}${g}${c}`]), weight: 6 },
    { arbitrary: fc.tuple(latin1Text(20), latin1Text(20)).map(([u, p]): Piece[] => [basicOf(u, p)]), weight: 1 },
    { arbitrary: fc.constant<Piece[]>([aliceBasic]), weight: 1 },
    { arbitrary: huge(['', 'Token ', 'Bearer ', 'Basic ', 'Digest ']), weight: 1 }
  )
}

/** A mutation of the live session id (often none, so a valid cookie is common). */
export function idMutation (): fc.Arbitrary<IdMutation> {
  return fc.oneof(
    { arbitrary: fc.constant<IdMutation>({ op: 'as-is' }), weight: 4 },
    { arbitrary: fc.record({ op: fc.constant('replace' as const), at: fc.nat({ max: 43 }), char: fc.constantFrom(...BASE64URL, '=', '.', '\u00e9', ' ') }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat({ max: 43 }) }), weight: 1 },
    { arbitrary: fc.record({ op: fc.constant('extend' as const), text: fc.constantFrom('A', '=', '==', ' x', '\t', ',', '"') }), weight: 1 },
    { arbitrary: fc.constant<IdMutation>({ op: 'swap-case' }), weight: 1 },
    { arbitrary: fc.constant<IdMutation>({ op: 'quote' }), weight: 1 },
    { arbitrary: fc.record({ op: fc.constant('pad' as const), text: fc.constantFrom(' ', '\t', '  ') }), weight: 1 },
    { arbitrary: fc.record({ op: fc.constant('percent-encode' as const), at: fc.nat({ max: 42 }) }), weight: 1 },
    { arbitrary: fc.constant<IdMutation>({ op: 'double' }), weight: 1 }
  )
}

/** Names that are, or look like, our cookie's. */
const cookieNameVariant = fc.constantFrom(
  COOKIE_NAME, COOKIE_NAME, COOKIE_NAME, ` ${COOKIE_NAME}`, `${COOKIE_NAME} `, COOKIE_NAME.toUpperCase(),
  'influxdb_oss_session', `$${COOKIE_NAME}`, `x${COOKIE_NAME}`, `${COOKIE_NAME}x`, `"${COOKIE_NAME}"`, `__Host-${COOKIE_NAME}`
)

/** One `name=value` item (or bare junk) of a Cookie header. */
const cookieItem: fc.Arbitrary<Piece[]> = fc.oneof(
  { arbitrary: fc.tuple(cookieNameVariant, idMutation()).map(([n, m]): Piece[] => [`${n}=`, { session: m }]), weight: 4 },
  { arbitrary: latin1Text(50).map((v): Piece[] => [`${COOKIE_NAME}=${v}`]), weight: 2 },
  { arbitrary: fc.string({ unit: fc.constantFrom(...BASE64URL), minLength: 43, maxLength: 43 }).map((v): Piece[] => [`${COOKIE_NAME}=${v}`]), weight: 1 },
  { arbitrary: fc.tuple(fc.constantFrom('theme', 'lang', 'session', 'Token', 'a', ''), latin1Text(20)).map(([n, v]): Piece[] => [`${n}=${v}`]), weight: 2 },
  { arbitrary: latin1Text(30).map((v): Piece[] => [v]), weight: 1 }
)

const cookieSeparator = fc.constantFrom('; ', '; ', ';', ' ; ', ';;', ', ', ';\t')

/** Joins item lists with separators into one value. */
function joinPieces (items: readonly Piece[][], seps: readonly string[]): Piece[] {
  const out: Piece[] = []
  items.forEach((item, i) => {
    if (i > 0) out.push(seps[(i - 1) % seps.length] ?? '; ')
    out.push(...item)
  })
  return out
}

/** `Cookie` values: one or several cookies (ours valid, mutated or random; others), random text, huge ones. */
export function cookieValue (): fc.Arbitrary<Piece[]> {
  return fc.oneof(
    { arbitrary: fc.tuple(fc.array(cookieItem, { minLength: 1, maxLength: 6 }), fc.array(cookieSeparator, { minLength: 1, maxLength: 5 })).map(([items, seps]) => joinPieces(items, seps)), weight: 8 },
    { arbitrary: latin1Text().map((v): Piece[] => [v]), weight: 1 },
    { arbitrary: huge(['', `${COOKIE_NAME}=`, 'a=b; ']), weight: 1 },
    { arbitrary: fc.tuple(huge(['a=']), idMutation()).map(([h, m]): Piece[] => [...h, `; ${COOKIE_NAME}=`, { session: m }]), weight: 1 }
  )
}

/** 0–2 `Authorization` and 0–2 `Cookie` header lines, in any order and name case. */
export function credentialHeaders (): fc.Arbitrary<HeaderSpec[]> {
  const auth = fc.tuple(fc.constantFrom('Authorization', 'authorization', 'AUTHORIZATION'), authorizationValue())
    .map(([name, value]): HeaderSpec => ({ name, value }))
  const cookie = fc.tuple(fc.constantFrom('Cookie', 'cookie', 'COOKIE'), cookieValue())
    .map(([name, value]): HeaderSpec => ({ name, value }))
  return fc.tuple(fc.array(auth, { maxLength: 2 }), fc.array(cookie, { maxLength: 2 }), fc.boolean())
    .map(([a, c, cookiesFirst]) => cookiesFirst ? [...c, ...a] : [...a, ...c])
}

/** Requests to routes InfluxDB protects, in their plain spelling. */
export const PROTECTED_REQUESTS: ReadonlyArray<Omit<RequestSpec, 'headers'>> = [
  { method: 'GET', target: '/api/v2/buckets' },
  { method: 'POST', target: '/api/v2/write?org=o&bucket=b', body: ['m v=1'] },
  { method: 'GET', target: '/query?q=x' },
  { method: 'POST', target: '/write?db=d', body: ['m v=1'] },
  { method: 'GET', target: '/metrics' },
  { method: 'GET', target: '/debug/vars' },
  { method: 'GET', target: '/api/v2/me' },
  { method: 'DELETE', target: '/api/v2/buckets/0000000000000002' },
  { method: 'GET', target: '/api/v2private/flags' },
  { method: 'GET', target: '/legacy/authorizations' }
]

// ---------------------------------------------------------------------------------------------
// Paths and query strings
// ---------------------------------------------------------------------------------------------

/** Words of real routes, spelled randomly by {@link spell}. */
const WORDS = [
  'api', 'v2', 'buckets', 'health', 'ready', 'ping', 'query', 'write', 'metrics', 'debug', 'vars', 'legacy',
  'gateway', 'session', 'signin', 'signout', 'setup', 'me', 'api', 'api', 'v2private', 'pprof'
]

/** Literal segments: dot segments and encoded separators in their usual disguises. */
const SEGMENTS = [
  'api', 'API', 'Api', 'v2', 'V2', 'buckets', '..', '.', '%2e%2e', '%2E%2E', '.%2e', '%2e.', '%2e', '%2E',
  '%2f', '%2F', '%5c', '%5C', '%61pi', '%41PI', '%2561pi', '', 'health', 'query', 'write', 'metrics', 'debug',
  'legacy', 'gateway', 'signin', 'signout', 'setup', 'me', '%00', ';', 'api;x', '%3f', '%23', '%20', '..;',
  '..%2f', '%2e%2e%2f', '%c0%ae%c0%ae', 'index.html', '~', '*'
]

function spellChar (ch: string, way: number): string {
  const hex = ch.charCodeAt(0).toString(16).padStart(2, '0')
  switch (way) {
    case 1: return ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase()
    case 2: return `%${hex.toUpperCase()}`
    case 3: return `%${hex}`
    case 4: return `%25${hex}`
    default: return ch
  }
}

/**
 * `word` with each character kept, case-flipped, percent-encoded (either hex case) or double-encoded;
 * with `encode: false` only case-flipped.
 */
export function spell (word: string, { encode = true }: { encode?: boolean } = {}): fc.Arbitrary<string> {
  const way = fc.oneof({ arbitrary: fc.constant(0), weight: 6 }, { arbitrary: fc.integer({ min: 1, max: encode ? 4 : 1 }), weight: 2 })
  return fc.array(way, { minLength: word.length, maxLength: word.length })
    .map((ways) => [...word].map((ch, i) => spellChar(ch, ways[i] ?? 0)).join(''))
}

const segment = fc.oneof(
  { arbitrary: fc.constantFrom(...SEGMENTS), weight: 3 },
  { arbitrary: fc.constantFrom(...WORDS).chain(spell), weight: 2 },
  { arbitrary: fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)).filter((c) => c !== '?'), maxLength: 6 }), weight: 1 }
)

const separator = fc.constantFrom('/', '/', '/', '/', '//', '\\', '/./', '%2f', '/%2f', '\\/', '/;/', '%5c')

/**
 * Request-target paths of three kinds. Tangled ones: route words and dot segments, spelled with
 * percent-encodings, case changes, backslashes, encoded and repeated slashes; a few do not start
 * with `/` at all. Plain ones: `/`-separated route words in any letter case and literal `.`/`..`
 * segments (`/health/../API/v2`). Encoded ones: route words with letters percent-encoded
 * (`/%61pi/v2`). The last two get past a syntax check more often, and so test the route rules.
 */
export function hostilePath (): fc.Arbitrary<string> {
  const lead = fc.constantFrom('/', '/', '/', '/', '//', '/\\', '///', '/./', '/../', '/%2f', '\\', '*', 'http://127.0.0.1')
  const trail = fc.constantFrom('', '', '', '/', '//', '/.', '/..', '%2f', ';', '.', '%20')
  const tangled = fc.tuple(lead, fc.array(fc.tuple(segment, separator), { minLength: 1, maxLength: 6 }), segment, trail)
    .map(([l, parts, last, t]) => l + parts.map(([s, sep]) => s + sep).join('') + last + t)
  const words = (encode: boolean): fc.Arbitrary<string> => fc.tuple(
    fc.array(fc.oneof(
      { arbitrary: fc.constantFrom(...WORDS).chain((w) => spell(w, { encode })), weight: 4 },
      { arbitrary: fc.constantFrom('.', '..'), weight: 1 }
    ), { minLength: 1, maxLength: 5 }),
    fc.constantFrom('', '', '/')
  ).map(([ws, t]) => `/${ws.join('/')}${t}`)
  return fc.oneof(tangled, words(false), words(true))
}

/** Characters a query may hold on the wire: visible ASCII, `#` too unless `hash` is false. */
function queryChar (hash: boolean): fc.Arbitrary<string> {
  return fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)).filter((c) => hash || c !== '#')
}

/** Query parameter names, with InfluxDB 1.x's `u`/`p` in many spellings. */
function queryName (hash: boolean): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constantFrom('u', 'p', 'u', 'p', '%75', '%70', '%55', '%50', 'U', 'P', 'u%00', '%2575', 'u+', '+p', 'p[]', 'q', 'db', 'org', 'bucket', 'x', '', 'u=', 'p;'), weight: 4 },
    { arbitrary: fc.constantFrom('u', 'p').chain(spell), weight: 2 },
    { arbitrary: fc.string({ unit: queryChar(hash), maxLength: 5 }), weight: 1 }
  )
}

/**
 * `?` and `&`/`;`-separated pairs with credential names in many spellings; sometimes no query at all.
 * With `hash: false` no raw `#` (which Go keeps in the query, but URL parsers take for a fragment).
 */
export function queryString ({ hash = true }: { hash?: boolean } = {}): fc.Arbitrary<string> {
  const pair = fc.tuple(queryName(hash), fc.option(fc.string({ unit: queryChar(hash), maxLength: 12 }), { nil: undefined }))
    .map(([n, v]) => v === undefined ? n : `${n}=${v}`)
  const pairs = fc.array(fc.tuple(pair, fc.constantFrom('&', '&', ';', '&&', '&;')), { maxLength: 6 })
  return fc.option(pairs.map((ps) => `?${ps.map(([p, sep], i) => i === 0 ? p : `${sep}${p}`).join('')}`), { nil: '' })
}

// ---------------------------------------------------------------------------------------------
// Oracles
// ---------------------------------------------------------------------------------------------

/**
 * True when one of the `Authorization` values presents a `Token` or `Bearer` credential: the scheme
 * (any case), whitespace, then something. Looser than the gateway (which takes the first header and
 * wants spaces), so a failure is never the oracle's strictness.
 */
export function presentsToken (authorizations: readonly string[]): boolean {
  return authorizations.some((v) => /^(token|bearer)[ \t]+[^ \t]/i.test(v.replace(/^[ \t]+|[ \t]+$/g, '')))
}

/**
 * True when one of the `Cookie` values holds our cookie with exactly the live id (name and value
 * trimmed, quotes allowed, `;` or `,` separated): what any lenient cookie parser would accept.
 */
export function carriesSession (cookies: readonly string[], id: string): boolean {
  return cookies.some((header) => header.split(/[;,]/).some((part) => {
    const eq = part.indexOf('=')
    if (eq < 0) return false
    const value = part.slice(eq + 1).trim()
    return part.slice(0, eq).trim() === COOKIE_NAME && (value === id || value === `"${id}"`)
  }))
}

/** Decodes each valid `%XX` once, to a byte (as a latin1 char); invalid escapes stay (Go would 400). */
export function percentDecode (text: string): string {
  return text.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
}

/** Resolves `.` and `..`, drops empty segments (`//`), as `path.Clean` would. */
export function resolveDotSegments (path: string): string {
  const out: string[] = []
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue
    if (segment === '..') out.pop()
    else out.push(segment)
  }
  return `/${out.join('/')}`
}

/**
 * How a server could read a request path: Go's (`URL.Path` is the path percent-decoded once, then
 * cleaned: dot segments resolved, `//` collapsed), and, to be strict, also with `\` as `/` and with
 * a second decoding. Prefix checks on these are made case-insensitively.
 */
export function pathReadings (rawPath: string): string[] {
  const once = percentDecode(rawPath)
  const twice = percentDecode(once)
  return [...new Set([once, once.replaceAll('\\', '/'), twice, twice.replaceAll('\\', '/')].map(resolveDotSegments))]
}

/** Path prefixes InfluxDB guards: a path equal to one or below it is protected. */
export const PROTECTED_PREFIXES = ['/api', '/query', '/write', '/metrics', '/debug', '/legacy']

/** True when any reading of the path (case-insensitively) is a protected route or below one. */
export function isProtectedPath (rawPath: string): boolean {
  return pathReadings(rawPath).some((p) => {
    const lower = p.toLowerCase()
    return PROTECTED_PREFIXES.some((prefix) => lower === prefix || lower.startsWith(`${prefix}/`))
  })
}

/** The protected reads InfluxDB serves without credentials, in their one literal spelling. */
const PUBLIC_API_READS = new Set(['/api/v2', '/api/v2/', '/api/v2/setup'])

/**
 * May a request with this method and this path (as the upstream received it, query excluded) reach
 * InfluxDB without credentials? Only outside the protected prefixes, or exactly `GET|HEAD /api/v2`
 * and `GET|HEAD /api/v2/setup`.
 */
export function mayReachUpstreamWithoutCredentials (method: string, rawPath: string): boolean {
  if (!isProtectedPath(rawPath)) return true
  return (method === 'GET' || method === 'HEAD') && PUBLIC_API_READS.has(rawPath)
}

/**
 * The query parameter names of a request target, decoded (`+` as space, `%XX`), with pairs split on
 * `&` and on `;` (older Go), everything after the first `?` (a `#` does not end it in a request).
 */
export function queryParamNames (target: string): string[] {
  const q = target.indexOf('?')
  if (q < 0) return []
  return target.slice(q + 1).split(/[&;]/).filter((pair) => pair !== '').map((pair) => {
    const eq = pair.indexOf('=')
    return percentDecode((eq < 0 ? pair : pair.slice(0, eq)).replaceAll('+', ' '))
  })
}
