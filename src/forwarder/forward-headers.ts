import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { setCookieName, withoutCookie } from '../session/session-cookie.ts'

/** Hop-by-hop headers (RFC 9110 §7.6.1 plus legacy ones): they describe one connection, never forwarded. */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'upgrade'
])

/** InfluxDB 1.x query-string credentials; they override the Authorization header there. */
const CREDENTIAL_PARAMS = new Set(['u', 'p'])
/**
 * Every spelling of a pair whose name decodes to `u` or `p` (`u`, `%75`, `p`, `%70`, with or without a
 * value, after `?`, `&` or `;`): a target without one is passed as it is without splitting its query.
 */
const MAYBE_CREDENTIAL_PARAM = /[?&;](?:u|p|%75|%70)(?:[=&;]|$)/

/** Whether a request target carries InfluxDB 1.x query-string credentials (`u`, `p`, in any spelling). */
export function hasCredentialParams (target: string): boolean {
  return MAYBE_CREDENTIAL_PARAM.test(target) && withoutQueryParams(target, CREDENTIAL_PARAMS) !== target
}

/** How a request is to be rewritten before it goes upstream. */
export interface UpstreamRequestPlan {
  /** The session cookie name, removed in every case: the session id never leaves the gateway. */
  cookieName: string
  /**
   * The only credential InfluxDB gets: the session user's, a client token passed through, or none (an
   * anonymous request to a public route). Any other client credential (another `Authorization`, InfluxDB
   * 1.x `u`/`p`) is removed in every case.
   */
  authorization: string | undefined
  /** The client as resolved with `server.trustProxy`. */
  client: { https: boolean, host: string, forwardedFor: string, viaTrustedProxy: boolean }
  /** The gateway's id for this request, sent as `X-Request-Id` so InfluxDB's logs can be matched to ours. */
  requestId: string
}

/**
 * Rewrites `req.headers` and `req.url` in place for the upstream: strips hop-by-hop headers and those
 * named in `Connection`, our cookie, and every client credential but a passed-through token; sets
 * `X-Forwarded-For/-Proto/-Host` from the resolved client (what an untrusted client sent is overwritten); adds the upstream credential
 * and the gateway's request id (replacing whatever id the client sent). A header is removed by setting it
 * `undefined`, which the engine never sends: a `delete` turns the object into a slow dictionary that every
 * later read of it pays for.
 */
export function prepareUpstreamRequest (req: IncomingMessage, plan: UpstreamRequestPlan): void {
  const headers = req.headers
  removeHopByHop(headers)
  // Node already answered the client's `Expect: 100-continue`; upstream it would only delay the body.
  if (headers.expect !== undefined) headers.expect = undefined
  if (headers.cookie !== undefined) headers.cookie = withoutCookie(headers.cookie, plan.cookieName)
  // SECURITY: InfluxDB 1.x logs in with `u`/`p` before it looks at the header: a passed-through junk
  // token or an anonymous public request must not turn the gateway into an unthrottled password oracle.
  headers.authorization = plan.authorization
  const url = req.url ?? '/'
  if (MAYBE_CREDENTIAL_PARAM.test(url)) req.url = withoutQueryParams(url, CREDENTIAL_PARAMS)
  // SECURITY: forwarding headers from anyone but a trusted proxy are lies until proven otherwise.
  if (!plan.client.viaTrustedProxy) {
    for (const name in headers) {
      if (name.startsWith('x-forwarded-') || name === 'forwarded' || name === 'x-real-ip') headers[name] = undefined
    }
  }
  headers['x-forwarded-for'] = plan.client.forwardedFor
  headers['x-forwarded-proto'] = plan.client.https ? 'https' : 'http'
  headers['x-forwarded-host'] = plan.client.host !== '' ? plan.client.host : undefined
  headers['x-request-id'] = plan.requestId
}

/** A response header the client gets: its name (lower case) and value in Node's shape. */
export type ResponseHeader = [name: string, value: string | string[]]

/**
 * The headers of an upstream response (undici's shape) the client gets, in one pass: without hop-by-hop
 * headers (InfluxDB's `Keep-Alive` describes its own connection), those named in `Connection`, InfluxDB's
 * `Transfer-Encoding` (Node frames the client's connection itself), any `Access-Control-*` (the gateway
 * alone grants CORS) and any `Set-Cookie` for our session cookie; a `Vary` gains `Origin`. A repeated
 * header is joined with `, ` as Node joins them; `Set-Cookie` stays a list.
 */
export function responseHeaders (upstream: Record<string, string | string[] | undefined>, cookieName: string): ResponseHeader[] {
  const named = upstream.connection
  const connectionNamed = named === undefined ? undefined : new Set(String(named).split(',').map((n) => n.trim().toLowerCase()))
  const kept: ResponseHeader[] = []
  for (const name in upstream) {
    const value = upstream[name]
    if (value === undefined || HOP_BY_HOP.has(name) || name === 'transfer-encoding' || name.startsWith('access-control-')) continue
    if (connectionNamed !== undefined && connectionNamed.has(name) && !FRAMING.has(name)) continue
    if (name === 'set-cookie') {
      // SECURITY: `name =v` sets `name` in a browser too: compare the name as browsers parse it.
      const cookies = (typeof value === 'string' ? [value] : value).filter((c) => setCookieName(c) !== cookieName)
      if (cookies.length > 0) kept.push([name, cookies])
      continue
    }
    const joined = typeof value === 'string' ? value : value.join(', ')
    // The CORS grant varies by Origin; an upstream Vary must not drop that.
    kept.push([name, name === 'vary' && !/(^|,)\s*(origin|\*)\s*(,|$)/i.test(joined) ? `${joined}, Origin` : joined])
  }
  return kept
}

/** Never removed because `Connection` names them: without its framing a body smuggles a request. */
const FRAMING = new Set(['content-length', 'transfer-encoding', 'host', 'close', 'keep-alive', ''])

function removeHopByHop (headers: IncomingHttpHeaders): void {
  const named = headers.connection
  if (named !== undefined) {
    for (const name of named.split(',')) {
      const h = name.trim().toLowerCase()
      if (!FRAMING.has(h) && headers[h] !== undefined) headers[h] = undefined
    }
  }
  for (const h in headers) if (HOP_BY_HOP.has(h) && headers[h] !== undefined) headers[h] = undefined
}

/**
 * The request target without the named query parameters. Names are compared decoded, and pairs are
 * split on `&` and on `;` (Go before 1.17 split on `;`; later Go drops such pairs), so `%75=` or
 * `;p=` cannot smuggle a credential past the check on any InfluxDB build. The target is returned
 * unchanged, separators included, when it holds none of the names.
 */
export function withoutQueryParams (target: string, names: ReadonlySet<string>): string {
  const q = target.indexOf('?')
  if (q < 0) return target
  const parts = target.slice(q + 1).split(/([&;])/) // [pair, sep, pair, sep, pair…]
  let kept = ''
  let removed = false
  for (let i = 0; i < parts.length; i += 2) {
    const pair = parts[i] as string
    if (pair !== '' && names.has(decodeName(pair))) {
      removed = true
      continue
    }
    kept += kept === '' ? pair : `${parts[i - 1] ?? '&'}${pair}`
  }
  if (!removed) return target
  return kept === '' ? target.slice(0, q) : `${target.slice(0, q)}?${kept}`
}

function decodeName (pair: string): string {
  const eq = pair.indexOf('=')
  const raw = (eq < 0 ? pair : pair.slice(0, eq)).replaceAll('+', ' ')
  try {
    return decodeURIComponent(raw)
  } catch {
    return raw
  }
}
