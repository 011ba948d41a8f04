import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

/**
 * Sign-in outcomes counted by `influx_gateway_signins_total`: a success, a wrong credential
 * (`failure`), a disabled user, and one label per kind of refusal: banned (`throttled`), no hash slot
 * or too many sign-ins in flight for one name or address (`busy`), CSRF (`cross_site`), a body too large
 * or too slow (`too_large`, `body_timeout`), the
 * client gone (`aborted`), a right password without any access rule granting a credential (`no_access`),
 * the LDAP directory down or too slow (`directory_unavailable`), InfluxDB unable or unwilling to mint the
 * session's token (`mint_unavailable`, `mint_refused`); at the single sign-on callback, the
 * provider's own refusal (`sso_denied`), a return that fails a check (`sso_refused`: state, replay,
 * expiry, token verification) and the provider unreachable (`sso_unavailable`); `error` is a failure of
 * the gateway itself (store down, a bug).
 */
export const SIGNIN_OUTCOMES = [
  'success', 'failure', 'disabled', 'throttled', 'busy', 'cross_site', 'too_large', 'body_timeout', 'aborted', 'no_access',
  'directory_unavailable', 'mint_unavailable', 'mint_refused', 'sso_denied', 'sso_refused', 'sso_unavailable', 'error'
] as const
/** One of {@link SIGNIN_OUTCOMES}. */
export type SigninOutcome = typeof SIGNIN_OUTCOMES[number]
/**
 * What became of requests carrying auth-proxy identity headers, counted by
 * `influx_gateway_auth_proxy_requests_total`: from a trusted proxy, `authenticated` (a credential from
 * the access rules), `no_access` (no rule grants one), `cross_site` (resource isolation), `invalid` (a
 * malformed name or groups), `mint_unavailable` and `mint_refused` (InfluxDB could not or would not mint the
 * token of the identity's implicit session); from any other peer, `untrusted` (the headers removed: spoofing or a
 * proxy missing from `authProxy.trustedProxies`).
 */
export const PROXY_IDENTITY_OUTCOMES = [
  'authenticated', 'no_access', 'cross_site', 'invalid', 'mint_unavailable', 'mint_refused', 'untrusted'
] as const
/** One of {@link PROXY_IDENTITY_OUTCOMES}. */
export type ProxyIdentityOutcome = typeof PROXY_IDENTITY_OUTCOMES[number]
/**
 * What `<gatewayPrefix>/auth` answered, counted by `influx_gateway_forward_auth_total`: `allowed` (200),
 * `unauthenticated` (401: no session), `refused` (403: the decision, the request's own credentials, a body it
 * cannot see, an app the user may not use), `untrusted` (403: a peer not in `forwardAuth.trustedProxies`),
 * `error` (the store, the directory or InfluxDB's minting unavailable, a fault).
 */
export const FORWARD_AUTH_OUTCOMES = ['allowed', 'unauthenticated', 'refused', 'untrusted', 'error'] as const
/** One of {@link FORWARD_AUTH_OUTCOMES}. */
export type ForwardAuthOutcome = typeof FORWARD_AUTH_OUTCOMES[number]
/** What happens to minted tokens: each has a counter of its own (see {@link createMetrics}). */
export type TokenEvent = 'minted' | 'revoked' | 'revoke_failed' | 'orphan_swept'
/**
 * Who ended sessions, as `influx_gateway_sessions_ended_total` counts it: a user their own, an administrator,
 * the administrators' API token, a provider's back channel.
 */
export const SESSIONS_ENDED_BY = ['user', 'admin', 'api', 'backchannel'] as const
export type SessionsEndedBy = typeof SESSIONS_ENDED_BY[number]
/** How many sessions one ending named: one, all of a user's, all. */
export const SESSIONS_ENDED_SCOPES = ['one', 'user', 'all'] as const
export type SessionsEndedScope = typeof SESSIONS_ENDED_SCOPES[number]
/** Upstream failure kinds counted by `influx_gateway_upstream_errors_total`. */
export type UpstreamErrorKind = 'refused' | 'reset' | 'timeout' | 'other'

/** The gateway's metrics, in a registry of its own (no global prom-client state). */
export interface Metrics {
  readonly registry: Registry
  /** One finished request: route group (never the raw path), method, status. */
  request (route: string, method: string, status: number): void
  /** Time from sending a request upstream to InfluxDB's response headers. */
  upstreamLatency (seconds: number): void
  upstreamError (kind: UpstreamErrorKind): void
  signin (outcome: SigninOutcome): void
  /** One request carrying auth-proxy identity headers, by outcome. */
  proxyIdentity (outcome: ProxyIdentityOutcome): void
  reload (outcome: 'success' | 'failure'): void
  /** One answer of `<gatewayPrefix>/auth`, by outcome. */
  forwardAuth (outcome: ForwardAuthOutcome): void
  /** A client connection refused over `limits.maxConnections`. */
  connectionRefused (): void
  /** A minted token was created, deleted, failed to be deleted (one attempt), or found orphaned. */
  tokens (event: TokenEvent): void
  /** Where the active-session gauge reads from at scrape time. */
  countSessionsWith (count: () => Promise<number | undefined>): void
  /** A record found in the store that the gateway did not sign there (forged, copied, tampered with, or older). */
  recordRejected (kind: 'session' | 'flow'): void
  /** `count` sessions ended on request (the sessions page or API, a back-channel logout), by whom and in what scope. */
  sessionsEnded (by: SessionsEndedBy, scope: SessionsEndedScope, count: number): void
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

/** Creates the metrics (`influx_gateway_*` plus Node's default process metrics). */
export function createMetrics (): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const request = requestCounter(registry)
  const latency = new Histogram({
    name: 'influx_gateway_upstream_duration_seconds',
    help: 'Time from forwarding a request to InfluxDB\'s response headers.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry]
  })
  const upstreamErrors = new Counter({
    name: 'influx_gateway_upstream_errors_total',
    help: 'Requests InfluxDB did not answer, by kind.',
    labelNames: ['kind'],
    registers: [registry]
  })
  const signins = new Counter({
    name: 'influx_gateway_signins_total', help: 'Sign-in attempts by outcome.', labelNames: ['outcome'], registers: [registry]
  })
  const reloads = new Counter({
    name: 'influx_gateway_config_reloads_total', help: 'Configuration reloads by outcome.', labelNames: ['outcome'], registers: [registry]
  })
  const refusedConnections = new Counter({
    name: 'influx_gateway_connections_refused_total', help: 'Client connections refused over limits.maxConnections.', registers: [registry]
  })
  const forwardAuth = new Counter({
    name: 'influx_gateway_forward_auth_total', help: 'Forward auth answers by outcome.', labelNames: ['outcome'], registers: [registry]
  })
  const countSessionsWith = sessionsGauge(registry)
  const proxyIdentity = proxyIdentityCounter(registry)
  const tokens = tokenCounters(registry)
  const rejectedRecords = new Counter({
    name: 'influx_gateway_session_records_rejected_total',
    help: 'Records in the session store that failed their signature check (treated as absent), by kind: session, flow.',
    labelNames: ['kind'],
    registers: [registry]
  })
  // Known series start at zero so dashboards and alerts see them before the first event.
  for (const outcome of SIGNIN_OUTCOMES) signins.labels({ outcome }).inc(0)
  for (const outcome of ['success', 'failure']) reloads.labels({ outcome }).inc(0)
  for (const outcome of FORWARD_AUTH_OUTCOMES) forwardAuth.labels({ outcome }).inc(0)
  for (const kind of ['refused', 'reset', 'timeout', 'other']) upstreamErrors.labels({ kind }).inc(0)
  for (const kind of ['session', 'flow']) rejectedRecords.labels({ kind }).inc(0)
  return {
    registry,
    request,
    upstreamLatency: (seconds) => latency.observe(seconds),
    upstreamError: (kind) => upstreamErrors.inc({ kind }),
    signin: (outcome) => signins.inc({ outcome }),
    proxyIdentity,
    reload: (outcome) => reloads.inc({ outcome }),
    forwardAuth: (outcome) => forwardAuth.inc({ outcome }),
    connectionRefused: () => refusedConnections.inc(),
    tokens: (event) => tokens[event].inc(),
    countSessionsWith,
    recordRejected: (kind) => rejectedRecords.inc({ kind }),
    sessionsEnded: sessionsEndedCounter(registry)
  }
}

/** `influx_gateway_sessions_ended_total{by,scope}`, every series starting at zero. */
function sessionsEndedCounter (registry: Registry): Metrics['sessionsEnded'] {
  const ended = new Counter({
    name: 'influx_gateway_sessions_ended_total',
    help: 'Sessions ended on request, by who ended them (user, admin, api, backchannel) and scope (one, user, all).',
    labelNames: ['by', 'scope'],
    registers: [registry]
  })
  for (const by of SESSIONS_ENDED_BY) for (const scope of SESSIONS_ENDED_SCOPES) ended.labels({ by, scope }).inc(0)
  return (by, scope, count) => ended.inc({ by, scope }, count)
}

/** The minted-token counters, by event; each starts at zero. */
function tokenCounters (registry: Registry): Record<TokenEvent, Counter> {
  const counter = (name: string, help: string): Counter => {
    const c = new Counter({ name, help, registers: [registry] })
    c.inc(0)
    return c
  }
  return {
    minted: counter('influx_gateway_tokens_minted_total', 'InfluxDB tokens minted for sessions.'),
    revoked: counter('influx_gateway_tokens_revoked_total', 'Minted tokens deleted in InfluxDB (session ended, or orphaned).'),
    revoke_failed: counter('influx_gateway_token_revoke_failures_total', 'Failed attempts to delete a minted token (each is retried).'),
    orphan_swept: counter('influx_gateway_tokens_orphaned_total', 'Minted tokens found without a live session by the sweep, and deleted.')
  }
}

/** `influx_gateway_requests_total`; returns what counts one finished request. */
function requestCounter (registry: Registry): Metrics['request'] {
  // Counted in plain Maps and handed to prom-client at scrape time: a labelled `inc` hashes its labels
  // on every call, which was a measurable part of a proxied request's cost; nested by label (no key
  // string built and hashed per request).
  type Entry = { labels: { route: string, method: string, status: string }, count: number, reported: number }
  const answered = new Map<string, Map<string, Map<number, Entry>>>()
  const entries = (): Entry[] =>
    [...answered.values()].flatMap((byMethod) => [...byMethod.values()].flatMap((byStatus) => [...byStatus.values()]))
  // eslint-disable-next-line no-new -- registered in `registry`, read at scrape time through collect()
  new Counter({
    name: 'influx_gateway_requests_total',
    help: 'Requests answered, by route group, method and status.',
    labelNames: ['route', 'method', 'status'],
    registers: [registry],
    collect () {
      for (const entry of entries()) {
        if (entry.count === entry.reported) continue
        this.inc(entry.labels, entry.count - entry.reported)
        entry.reported = entry.count
      }
    }
  })
  return (route, method, status) => {
    const m = METHODS.has(method) ? method : 'other'
    let byMethod = answered.get(route)
    if (byMethod === undefined) answered.set(route, byMethod = new Map())
    let byStatus = byMethod.get(m)
    if (byStatus === undefined) byMethod.set(m, byStatus = new Map())
    const entry = byStatus.get(status)
    if (entry !== undefined) entry.count++
    else byStatus.set(status, { labels: { route, method: m, status: String(status) }, count: 1, reported: 0 })
  }
}

/** `influx_gateway_auth_proxy_requests_total`; returns what counts one request (a plain increment: it runs per request). */
function proxyIdentityCounter (registry: Registry): Metrics['proxyIdentity'] {
  const counts = Object.fromEntries(PROXY_IDENTITY_OUTCOMES.map((o) => [o, { count: 0, reported: 0 }])) as
    Record<ProxyIdentityOutcome, { count: number, reported: number }>
  // eslint-disable-next-line no-new -- registered in `registry`, read at scrape time through collect()
  new Counter({
    name: 'influx_gateway_auth_proxy_requests_total',
    help: 'Requests carrying auth-proxy identity headers, by outcome.',
    labelNames: ['outcome'],
    registers: [registry],
    collect () {
      for (const outcome of PROXY_IDENTITY_OUTCOMES) {
        const entry = counts[outcome]
        this.inc({ outcome }, entry.count - entry.reported)
        entry.reported = entry.count
      }
    }
  })
  return (outcome) => { counts[outcome].count++ }
}

/** `influx_gateway_sessions_active`; returns what sets where it reads from at scrape time. */
function sessionsGauge (registry: Registry): Metrics['countSessionsWith'] {
  let countSessions: () => Promise<number | undefined> = async () => undefined
  // eslint-disable-next-line no-new -- registered in `registry`, read at scrape time through collect()
  new Gauge({
    name: 'influx_gateway_sessions_active',
    help: 'Live sessions in the store.',
    registers: [registry],
    async collect () {
      const n = await countSessions()
      if (n !== undefined) this.set(n)
    }
  })
  return (count) => { countSessions = count }
}
