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
 * and the gateway's request id (replacing whatever id the client sent).
 */
export function prepareUpstreamRequest (req: IncomingMessage, plan: UpstreamRequestPlan): void {
  const headers = req.headers
  removeHopByHop(headers)
  // Node already answered the client's `Expect: 100-continue`; upstream it would only delay the body.
  delete headers.expect
  const cookie = withoutCookie(headers.cookie, plan.cookieName)
  if (cookie === undefined) delete headers.cookie
  else headers.cookie = cookie
  // SECURITY: InfluxDB 1.x logs in with `u`/`p` before it looks at the header: a passed-through junk
  // token or an anonymous public request must not turn the gateway into an unthrottled password oracle.
  if (plan.authorization === undefined) delete headers.authorization
  else headers.authorization = plan.authorization
  const url = req.url ?? '/'
  if (MAYBE_CREDENTIAL_PARAM.test(url)) req.url = withoutQueryParams(url, CREDENTIAL_PARAMS)
  // SECURITY: forwarding headers from anyone but a trusted proxy are lies until proven otherwise.
  if (!plan.client.viaTrustedProxy) {
    for (const name of Object.keys(headers)) {
      if (name.startsWith('x-forwarded-') || name === 'forwarded' || name === 'x-real-ip') delete headers[name]
    }
  }
  headers['x-forwarded-for'] = plan.client.forwardedFor
  headers['x-forwarded-proto'] = plan.client.https ? 'https' : 'http'
  if (plan.client.host !== '') headers['x-forwarded-host'] = plan.client.host
  else delete headers['x-forwarded-host']
  headers['x-request-id'] = plan.requestId
}

/**
 * Cleans an upstream response's headers in place: hop-by-hop headers (InfluxDB's `Keep-Alive`
 * describes its own connection), headers named in `Connection`, any `Access-Control-*` (the gateway alone grants
 * CORS) and any `Set-Cookie` for our session cookie.
 */
export function cleanResponseHeaders (headers: IncomingHttpHeaders, cookieName: string): void {
  removeHopByHop(headers)
  for (const name of Object.keys(headers)) if (name.startsWith('access-control-')) delete headers[name]
  // The CORS grant varies by Origin; an upstream Vary must not drop that.
  const vary = headers.vary
  if (vary !== undefined && !/(^|,)\s*(origin|\*)\s*(,|$)/i.test(vary)) headers.vary = `${vary}, Origin`
  const cookies = headers['set-cookie']
  if (cookies !== undefined) {
    // SECURITY: `name =v` sets `name` in a browser too: compare the name as browsers parse it.
    const kept = cookies.filter((c) => setCookieName(c) !== cookieName)
    if (kept.length > 0) headers['set-cookie'] = kept
    else delete headers['set-cookie']
  }
}

/** Never removed because `Connection` names them: without its framing a body smuggles a request. */
const FRAMING = new Set(['content-length', 'transfer-encoding', 'host', 'close', 'keep-alive', ''])

function removeHopByHop (headers: IncomingHttpHeaders): void {
  const named = headers.connection
  if (named !== undefined) {
    for (const name of named.split(',')) {
      const h = name.trim().toLowerCase()
      if (!FRAMING.has(h)) delete headers[h]
    }
  }
  // Only present names are deleted: a delete is what turns the object into a slow dictionary.
  for (const h in headers) if (HOP_BY_HOP.has(h)) delete headers[h]
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
