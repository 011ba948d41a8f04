/**
 * The InfluxDB 3 double's HTTP vocabulary: one recorded request, one answer, and how a request presents its
 * token (influxdata/influxdb `influxdb3_server/src/http.rs`: `extract_v1_auth_token`, `validate_auth_header`,
 * `token_part_as_bytes`).
 * @packageDocumentation
 */
import type http from 'node:http'
import type { Influx3Token } from './fake-influx3-tokens.ts'

/** One request as the InfluxDB 3 double received it. */
export interface Influx3Request {
  method: string
  /** Raw request target, e.g. `/api/v3/query_sql?db=x&q=…`. */
  url: string
  /** `url` without the query. */
  path: string
  query: URLSearchParams
  headers: http.IncomingHttpHeaders
  /** `Content-Type` as sent. */
  contentType: string | undefined
  /** The whole body (filled when it ends; the double answers only then). */
  body: Buffer
  /** The credential the request presented (`p=`, else the `Authorization` header's), if any. */
  presented: string | undefined
  /** The name of the token it authenticated as; undefined when it did not (or the route needs none). */
  tokenName: string | undefined
  /** The database(s) the double resolved for a write or a query, in statement order. */
  databases: string[]
}

/** A request being answered: the record plus the token it authenticated as. */
export interface Influx3Call { rec: Influx3Request, token: Influx3Token | undefined }

/**
 * An answer. `cors` marks InfluxDB 3's `Ok` path, whose answers carry `Access-Control-Allow-Origin: *`
 * (`route_request`): every success, and `/query`'s own errors; routing, authentication and handler errors do not.
 */
export interface Reply { status: number, body?: string, headers?: Record<string, string>, cors: boolean }

/** A JSON answer on the success path. */
export function okJson (status: number, body: unknown, contentType = 'application/json'): Reply {
  return { status, body: JSON.stringify(body), headers: { 'content-type': contentType }, cors: true }
}

/** An empty answer on the success path (InfluxDB 3's `Response::new(empty_response_body())` is 200). */
export function okEmpty (status = 200): Reply {
  return { status, cors: true }
}

/** A handler error as InfluxDB 3 writes most of them: plain text, no content type. */
export function failText (status: number, message: string): Reply {
  return { status, body: message, cors: false }
}

/** An authentication or authorization error of the router: `{"error": …}`. */
export function failJson (status: number, message: string): Reply {
  return { status, body: JSON.stringify({ error: message }), cors: false }
}

/** Why a presented credential is unusable: the header is not `<scheme> <token>` with a known scheme. */
export const MALFORMED_AUTH = 'Authorization header was malformed, the request was not in the form of ' +
  '\'Authorization: <auth-scheme> <token>\', supported auth-schemes are Bearer, Token and Basic'

/**
 * The token a request presents, as InfluxDB 3 reads it: on `/query` and `/write` the `p` parameter first;
 * else `Authorization: Bearer|Token <t>`, or `Basic` with the token as the password, on every route.
 * `null`: a header InfluxDB 3 refuses as malformed (400).
 */
export function presentedToken (path: string, query: URLSearchParams, authorization: string | undefined): string | undefined | null {
  if ((path === '/query' || path === '/write') && query.get('p') !== null) return query.get('p') ?? undefined
  if (authorization === undefined) return undefined
  const parts = authorization.split(' ')
  const [scheme, value] = parts
  if (parts.length !== 2 || value === undefined || !['Bearer', 'Token', 'Basic'].includes(scheme ?? '')) return null
  if (scheme !== 'Basic') return value
  const decoded = Buffer.from(value, 'base64').toString('utf8')
  const colon = decoded.lastIndexOf(':')
  // InfluxDB 3 splits at the last colon and refuses a user name that holds one.
  if (colon < 0 || decoded.slice(0, colon).includes(':')) return null
  return decoded.slice(colon + 1)
}
