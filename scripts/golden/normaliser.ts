/**
 * What a golden transcript replaces by a stable placeholder: anything random or time-bound, keeping the
 * structure (a log line keeps its keys and their order; a value that recurs, such as a session's ref in
 * its sign-in and sign-out lines, gets the same numbered placeholder each time).
 */
export interface Normaliser {
  /** `<kind:N>`: N numbers the distinct raw values of a kind in order of first appearance. */
  ref (kind: string, raw: string): string
  /** Times, HTTP dates, loopback ports and the run's directory in free text. */
  text (s: string): string
  /** One stdout line: a JSON line field by field (key order kept), anything else as text. */
  logLine (line: string): string
  /** A `Set-Cookie` value: the cookie's value replaced, its attributes kept. */
  setCookie (value: string): string
}

/** Log fields whose values are random or time-bound, and what replaces them. */
const FIELDS: Record<string, (n: Normaliser, v: unknown) => unknown> = {
  time: () => '<time>',
  durationMs: () => '<ms>',
  pid: () => '<pid>',
  hostname: () => '<hostname>',
  reqId: (n, v) => n.ref('req', String(v)),
  session: (n, v) => n.ref('session', String(v)),
  authorization: (n, v) => n.ref('authorization', String(v))
}
const ISO_TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)/g
const HTTP_DATE = /\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\b/g
const LOOPBACK_PORT = /\b(127\.0\.0\.\d+|localhost):(\d+)\b/g

/** A normaliser for one run whose temporary files are under `dir`. */
export function createNormaliser (dir: string): Normaliser {
  const refs = new Map<string, Map<string, string>>()
  const n: Normaliser = {
    ref (kind, raw) {
      let byValue = refs.get(kind)
      if (byValue === undefined) refs.set(kind, byValue = new Map())
      let placeholder = byValue.get(raw)
      if (placeholder === undefined) byValue.set(raw, placeholder = `<${kind}:${byValue.size + 1}>`)
      return placeholder
    },
    text: (s) => s.replaceAll(dir, '<dir>').replace(ISO_TIME, '<time>').replace(HTTP_DATE, '<date>')
      .replace(LOOPBACK_PORT, (_m, host: string, port: string) => `${host}:${n.ref('port', port)}`),
    logLine (line) {
      let parsed: unknown
      try {
        parsed = JSON.parse(line)
      } catch {
        return n.text(line)
      }
      return JSON.stringify(walk(n, parsed))
    },
    setCookie (value) {
      const eq = value.indexOf('=')
      const semi = value.indexOf(';')
      const end = semi < 0 ? value.length : semi
      if (eq < 0 || eq > end) return n.text(value)
      const cookieValue = value.slice(eq + 1, end)
      const shown = cookieValue === '' ? '' : n.ref('cookie', cookieValue)
      return n.text(`${value.slice(0, eq + 1)}${shown}${value.slice(end)}`)
    }
  }
  return n
}

function walk (n: Normaliser, value: unknown, key?: string): unknown {
  const field = key === undefined ? undefined : FIELDS[key]
  if (field !== undefined && value !== undefined && value !== null) return field(n, value)
  if (typeof value === 'string') return n.text(value)
  if (Array.isArray(value)) return value.map((v) => walk(n, v))
  if (typeof value !== 'object' || value === null) return value
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(n, v, k)]))
}
