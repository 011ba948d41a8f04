import type { IncomingMessage } from 'node:http'
import { errors } from '../errors.ts'
import { hasCredentialParams } from '../forwarder/forward-headers.ts'
import { influx3Route } from '../influx3/influx3-route.ts'

/** The original request an ingress describes when it asks forward auth, as far as it describes it. */
export interface ForwardedRequest {
  /** `X-Forwarded-Method`. */
  method: string
  /** `X-Forwarded-Uri` or `X-Original-URI`: the request target as the client sent it. */
  target: string
  /** `X-Forwarded-Host`, when sent. */
  host?: string
  /** `X-Forwarded-Proto` is `https` (true) or `http` (false); undefined when absent or anything else. */
  https?: boolean
}

/** An HTTP method token as clients send it. */
const METHOD = /^[A-Z]{1,16}$/

/**
 * Reads the original request from the headers of the ingress's question (believed only from a peer in
 * `forwardAuth.trustedProxies`: the caller checked). Each header must come on one line.
 * @throws GatewayError `forwardAuthRefused` without a method or target, or when they are ambiguous
 */
export function readForwardedRequest (req: IncomingMessage): ForwardedRequest {
  const lines = req.headersDistinct
  const method = oneLine(lines['x-forwarded-method'], 'X-Forwarded-Method')
  if (method === undefined || !METHOD.test(method)) {
    throw errors.forwardAuthRefused('X-Forwarded-Method must name the original request\'s method')
  }
  const uri = oneLine(lines['x-forwarded-uri'], 'X-Forwarded-Uri')
  const original = oneLine(lines['x-original-uri'], 'X-Original-URI')
  // SECURITY: an ingress sets one of the two and passes the client's headers on: a client's own
  // `X-Forwarded-Uri: /health` next to the ingress's `X-Original-URI` must not become the judged target.
  if (uri !== undefined && original !== undefined && uri !== original) {
    throw errors.forwardAuthRefused('X-Forwarded-Uri and X-Original-URI disagree')
  }
  const target = uri ?? original
  if (target === undefined) throw errors.forwardAuthRefused('X-Forwarded-Uri or X-Original-URI must name the original request\'s target')
  const host = oneLine(lines['x-forwarded-host'], 'X-Forwarded-Host')
  const proto = oneLine(lines['x-forwarded-proto'], 'X-Forwarded-Proto')?.toLowerCase()
  const https = proto === 'https' ? true : proto === 'http' ? false : undefined
  return { method, target, ...(host === undefined || host === '' ? {} : { host }), ...(https === undefined ? {} : { https }) }
}

/** The one line of a header, undefined when absent; refused when repeated (whose line would win is the ingress's secret). */
function oneLine (values: string[] | undefined, name: string): string | undefined {
  if (values !== undefined && values.length > 1) throw errors.forwardAuthRefused(`${name} sent more than once`)
  return values?.[0]
}

/**
 * Whether the original request brings credentials of its own: an `Authorization` header of any kind, or
 * InfluxDB 1.x's `u`/`p` parameters. The ingress passes them on as they are, and InfluxDB 1.x reads `u`/`p`
 * before any header: what forward auth answers would not be what InfluxDB judges.
 */
export function bringsOwnCredentials (req: IncomingMessage, target: string): boolean {
  return req.headers.authorization !== undefined || hasCredentialParams(target)
}

/**
 * Whether an original request in front of InfluxDB 3 (`influx3`: configured or learned) names its database or statement only in
 * its body, which the ingress never sends forward auth: `POST /api/v3/query_sql`, `/api/v3/query_influxql`,
 * `/query` (v1 compatibility, `q` in a form), and any change under `/api/v3/configure/` (the database in
 * JSON). Per-database rules cannot judge such a request here; it goes through the gateway as the proxy.
 * `path` is canonical.
 */
export function namesDatabaseInBody (method: string, path: string, influx3: boolean): boolean {
  if (!influx3) return false
  if (method === 'GET' || method === 'HEAD') return false
  // A POSTed query: InfluxDB 3 reads its database or statement from the body (src/http/influx3-access.ts).
  if (method === 'POST' && influx3Route(path).kind === 'query') return true
  return method !== 'DELETE' && path.startsWith('/api/v3/configure/')
}
