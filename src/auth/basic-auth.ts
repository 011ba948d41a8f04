/** Credentials from an `Authorization: Basic` header. */
export interface BasicCredentials { username: string, password: string }

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

/**
 * Parses an `Authorization: Basic base64(user:password)` header (scheme case-insensitive, RFC 7617).
 * Returns undefined for a missing header, another scheme, bad base64, no colon or an empty user name.
 */
export function parseBasicAuth (header: string | undefined): BasicCredentials | undefined {
  if (header === undefined) return undefined
  const m = /^basic +(\S+) *$/i.exec(header)
  const encoded = m?.[1]
  if (encoded === undefined || encoded.length % 4 !== 0 || !BASE64.test(encoded)) return undefined
  const decoded = Buffer.from(encoded, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon <= 0) return undefined
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}

/**
 * True for `Authorization: Token …` or `Bearer …`, which InfluxDB lets win over a session cookie; not for
 * one whose credential holds a `:`, which no token or JWT does.
 */
export function isTokenAuthorization (header: string | undefined): boolean {
  // SECURITY: InfluxDB 1.8 (and 2's v1 routes) read `Token name:password` as a password login: passed
  // through, it would let anyone guess InfluxDB passwords past the sign-in throttle.
  return header !== undefined && /^(token|bearer) +\S/i.test(header) && !header.includes(':')
}
