import type { Authentication } from '../access/access-decision.ts'
import { influx3Decision } from '../access/influx3-decision.ts'
import type { AppDeps } from '../app-deps.ts'
import { errors } from '../errors.ts'
import type { ForwardLimits } from '../forwarder/influx-forwarder.ts'
import { influx3Route, type Influx3Route } from '../influx3/influx3-route.ts'
import { influx3Target, type Influx3Params } from '../influx3/influx3-target.ts'
import { filterShowDatabases } from '../influx3/show-databases.ts'
import { audit } from '../observability/audit.ts'
import { hasBody, type RouteClass } from '../route-rules.ts'
import { readLimitedBody } from './drain-limited-body.ts'
import type { RequestScope } from './request-context.ts'

type Influx3Deps = Pick<AppDeps, 'config' | 'upstreamVersion'>

/** A request an identity made (a session's or an auth proxy's): what InfluxDB 3's rules judge. */
type IdentityAuthentication = Extract<Authentication, { kind: 'session' | 'authProxy' }>

/** What forwarding an allowed InfluxDB 3 request needs besides the request: its body, when it was read, and a rewrite. */
export type Influx3Forwarding = Pick<ForwardLimits, 'body' | 'rewrite'>

const NOTHING: Influx3Forwarding = {}

/**
 * The route class the access decision judges: in front of InfluxDB 3, which wants a token even on
 * `/health` and `/ping`, nothing is public. Forwarding and forward auth alike.
 */
export function accessRoute (route: RouteClass, deps: Pick<AppDeps, 'upstreamVersion'>): RouteClass {
  return route.public && deps.upstreamVersion.major() === 3 ? { ...route, public: false } : route
}

/**
 * Whether InfluxDB 3's rules govern a request, decided synchronously so that every other request pays no
 * promise for them: an identity's request (not a client token's, not an anonymous one) in front of InfluxDB
 * 3, or one whose rule is InfluxDB 3's while the version is still unknown.
 */
export function influx3Governs (deps: Influx3Deps, auth: Authentication): auth is IdentityAuthentication {
  if (auth.kind !== 'session' && auth.kind !== 'authProxy') return false
  const major = deps.upstreamVersion.major()
  return major === 3 || (major === undefined && auth.scope !== undefined)
}

/**
 * InfluxDB 3's rules, after the access decision: a request of an identity whose rule has `databases:` or
 * `admin:` goes on only if the rule allows the route and every database it reaches (src/access/
 * influx3-decision.ts), read from where InfluxDB 3 reads it (a query's body is read for this, and then sent
 * as read); else 403, audited, nothing forwarded. A client's own token is InfluxDB's to judge. With
 * `upstream.version: auto`, a rule-governed request waits for the version: 503 until it is known. `judged`:
 * the request target judged (forward auth judges the original request an ingress describes).
 */
export async function influx3Access (
  scope: RequestScope, deps: Influx3Deps, auth: Authentication, judged = scope.req.url ?? ''
): Promise<Influx3Forwarding> {
  if (!influx3Governs(deps, auth)) return NOTHING
  if (deps.upstreamVersion.major() !== 3) throw errors.upstreamVersionUnknown()
  const route = influx3Route(scope.state.canonicalPath)
  let forwarding = NOTHING
  let target
  if (route.kind === 'write' || route.kind === 'query') {
    const read = await requestParams(scope, deps, route, judged)
    target = influx3Target(route, read.params)
    if (read.body !== undefined) forwarding = { body: read.body }
  }
  const decision = influx3Decision(auth.scope, route, target)
  if (!decision.allowed) {
    const { name: user, source } = auth.identity
    audit(scope.state.log, 'influx3Refused', { user, source, reason: decision.reason })
    throw errors.databaseRefused(decision.reason)
  }
  const readable = decision.showDatabases
  if (readable === undefined) return forwarding
  // The list is rewritten: InfluxDB must answer it in JSON, uncompressed.
  scope.req.headers['accept-encoding'] = undefined
  scope.req.headers.accept = 'application/json'
  return { ...forwarding, rewrite: (status, body) => filterShowDatabases(status, body, readable) }
}

/** A request's parameters, read where InfluxDB 3 reads them for its route and method, and its body when read. */
async function requestParams (
  scope: RequestScope, deps: Influx3Deps, route: Extract<Influx3Route, { kind: 'write' | 'query' }>, target: string
): Promise<{ params: Influx3Params, body?: Buffer }> {
  const query = strictQuery(target.includes('?') ? target.slice(target.indexOf('?') + 1) : '')
  if (route.kind === 'write' || scope.method !== 'POST') return { params: { query } }
  const { limits, upstream } = deps.config
  const body = hasBody(scope.req.headers)
    ? await readLimitedBody(scope.req, { limitBytes: limits.maxQueryBodyBytes, timeoutMs: upstream.timeout })
    : Buffer.alloc(0)
  const type = (scope.req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  if (route.api === 'v3') {
    // InfluxDB 3 reads a POSTed query from its JSON body only: parameters beside it would be another reading.
    if (['db', 'q', 'rp'].some((name) => query.has(name))) {
      throw errors.databaseRefused('a POSTed query takes db and q in its JSON body only')
    }
    if (type !== 'application/json') throw errors.databaseRefused('a POSTed query needs a JSON body')
    return { params: { query: new URLSearchParams(), body: jsonParams(body) }, body }
  }
  if (type === 'application/x-www-form-urlencoded' || type === 'multipart/form-data') {
    return { params: { query, body: await formParams(scope, body) }, body }
  }
  // SECURITY: `/query` takes the statement from a body of this type (or of none): it is the one classified.
  if (type === 'application/vnd.influxql' || type === '') {
    return { params: { query, body: new Map([['q', [body.toString('utf8')]]]) }, body }
  }
  throw errors.databaseRefused(`a /query body of type ${type} is not read by the gateway`)
}

/**
 * The query string's parameters, refused when an escape is malformed or not UTF-8: a name the gateway would
 * read as U+FFFD is not one InfluxDB 3 reads the same way.
 */
function strictQuery (text: string): URLSearchParams {
  for (const part of text.split('&')) {
    try {
      decodeURIComponent(part.replace(/\+/g, ' '))
    } catch {
      throw errors.databaseRefused('a query parameter is not valid UTF-8')
    }
  }
  return new URLSearchParams(text)
}

function jsonParams (body: Buffer): Map<string, string[]> {
  let parsed: unknown
  try {
    parsed = JSON.parse(body.toString('utf8'))
  } catch {
    throw errors.databaseRefused('the query body is not JSON')
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw errors.databaseRefused('the query body is not a JSON object')
  }
  const params = new Map<string, string[]>()
  for (const [name, value] of Object.entries(parsed)) {
    if (name !== 'db' && name !== 'q' && name !== 'rp' && name !== 'format') continue
    if (typeof value !== 'string') throw errors.databaseRefused(`${name} in the query body is not a string`)
    params.set(name, [value])
  }
  return params
}

/** A form-encoded or multipart body's fields (a file part's text too: InfluxDB reads `q` from one), by undici's parser. */
async function formParams (scope: RequestScope, body: Buffer): Promise<Map<string, string[]>> {
  let form: FormData
  try {
    form = await new Response(new Uint8Array(body), { headers: { 'content-type': scope.req.headers['content-type'] ?? '' } }).formData()
  } catch {
    throw errors.databaseRefused('the query body is not a readable form')
  }
  const params = new Map<string, string[]>()
  for (const [name, value] of form.entries()) {
    const text = typeof value === 'string' ? value : await value.text()
    params.set(name, [...params.get(name) ?? [], text])
  }
  return params
}
