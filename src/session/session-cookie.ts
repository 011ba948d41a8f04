/** How the session cookie is written. */
export interface SessionCookieOptions {
  /** Cookie name; InfluxDB's is `influxdb-oss-session`. */
  name: string
  /** `/` rather than InfluxDB's `/api/`: the v1 `/query`, `/write` and `/gateway/` routes need it too. */
  path: string
  sameSite: 'Strict' | 'Lax'
  /** `auto`: `Secure` when the client connection is HTTPS. */
  secure: 'auto' | 'always' | 'never'
}

/** `Set-Cookie` for a new session; `https` tells whether the client connection is HTTPS. */
export function sessionCookie (opts: SessionCookieOptions, id: string, expiresAt: number, https: boolean): string {
  return `${opts.name}=${id}; ${attributes(opts, https)}; Expires=${new Date(expiresAt).toUTCString()}`
}

/** `Set-Cookie` that makes the browser drop the session cookie. */
export function clearedSessionCookie (opts: SessionCookieOptions, https: boolean): string {
  return `${opts.name}=; ${attributes(opts, https)}; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0`
}

function attributes (opts: SessionCookieOptions, https: boolean): string {
  const secure = opts.secure === 'always' || (opts.secure === 'auto' && https)
  return `Path=${opts.path}; HttpOnly; SameSite=${opts.sameSite}${secure ? '; Secure' : ''}`
}

/**
 * Every distinct value of a cookie in a `Cookie` header, in order. A browser can hold several cookies of
 * one name for different paths (InfluxDB's own `Path=/api/` one next to ours), and a same-site party
 * can toss more in front: none is skipped. Names are compared as browsers store them, trimmed.
 */
export function readCookies (header: string | undefined, name: string): string[] {
  if (header === undefined || !header.includes(name)) return []
  const values: string[] = []
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq <= 0 || part.slice(0, eq).trim() !== name) continue
    const value = part.slice(eq + 1).trim()
    if (!values.includes(value)) values.push(value)
  }
  return values
}

/** The name a `Set-Cookie` value sets, as browsers parse it: up to the first `=`, whitespace trimmed. */
export function setCookieName (setCookie: string): string {
  const pair = setCookie.split(';', 1)[0] ?? ''
  const eq = pair.indexOf('=')
  return eq < 0 ? '' : pair.slice(0, eq).trim()
}

/** The `Cookie` header without any cookie of that name; undefined when nothing is left. */
export function withoutCookie (header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined
  if (!header.includes(name)) return header
  const kept = header.split(';').filter((part) => {
    const eq = part.indexOf('=')
    return part.trim() !== '' && (eq < 0 ? part.trim() : part.slice(0, eq).trim()) !== name
  }).map((part) => part.trim())
  return kept.length > 0 ? kept.join('; ') : undefined
}
