/**
 * InfluxDB's error codes, their HTTP statuses (influxdb kit/transport/http/error_handler.go) and the
 * catalogue of every error the gateway itself answers with. Only `http/error-handler.ts` writes them.
 */
export const STATUS = {
  invalid: 400,
  'empty value': 400,
  unauthorized: 401,
  forbidden: 403,
  'not found': 404,
  'method not allowed': 405,
  'request too large': 413,
  conflict: 422,
  'unprocessable entity': 422,
  'too many requests': 429,
  'internal error': 500,
  'not implemented': 501,
  unavailable: 503
} as const

/** An InfluxDB code, e.g. `unauthorized`. */
export type InfluxCode = keyof typeof STATUS

/**
 * What went wrong, as a stable name: one per catalogue entry (the entry's own name), so callers
 * (metrics, logs) switch on it instead of guessing from status and headers.
 */
export type ErrorKind =
  | 'unauthorized' | 'userInactive' | 'crossSite' | 'bodyWithoutSession' | 'setupRefused' | 'passwordChangeRefused'
  | 'notFound' | 'notReady' | 'methodNotAllowed' | 'bodyTooLarge' | 'bodyTimeout' | 'clientClosed'
  | 'headersTooLarge' | 'headTimeout' | 'badRequest' | 'transferCodingNotImplemented' | 'httpError'
  | 'upstreamDown' | 'upstreamFailed' | 'upstreamTimeout' | 'publicRequestTimeout' | 'overCapacity'
  | 'sessionStoreDown' | 'signinThrottled' | 'signinConcurrent' | 'signinBusy' | 'noAccess' | 'directoryUnavailable'
  | 'mintUnavailable' | 'mintRefused' | 'databaseRefused' | 'adminTokenRefused' | 'upstreamVersionUnknown'
  | 'ssoDenied' | 'ssoRefused' | 'ssoUnavailable' | 'ssoFlowsPerClient' | 'ssoLogoutIncomplete' | 'proxyIdentityInvalid' | 'internal'
  | 'forwardAuthUntrusted' | 'forwardAuthRefused' | 'forwardAuthSignIn' | 'logoutTokenRefused' | 'sessionsRefused' | 'formTokenRefused'

/** The one error type of the gateway: a kind, an InfluxDB code, a message safe to show, and the HTTP status. */
export class GatewayError<K extends ErrorKind = ErrorKind> extends Error {
  readonly status: number
  /** Extra response headers, e.g. `Allow` for 405. */
  readonly headers: Readonly<Record<string, string>>

  constructor (
    readonly kind: K,
    readonly code: InfluxCode,
    message: string,
    opts: { cause?: unknown, status?: number, headers?: Record<string, string> } = {}
  ) {
    super(message, { cause: opts.cause })
    this.name = 'GatewayError'
    this.status = opts.status ?? STATUS[code]
    this.headers = opts.headers ?? {}
  }
}

/** Every kind has exactly one entry, named after it, that builds an error of that kind. */
type Catalogue = { [K in ErrorKind]: (...args: never[]) => GatewayError<K> }

/** Tells the client the connection ends with this answer (an unread or unwanted body follows). */
const CLOSE = { Connection: 'close' }

/** The catalogue: the only place that calls `new GatewayError`. */
export const errors = {
  /** Every sign-in failure and every missing/unknown session: identical so user names cannot be probed. */
  unauthorized: () => new GatewayError('unauthorized', 'unauthorized', 'unauthorized access'),
  /** A disabled (or, for a session, removed) user: the InfluxDB UI signs out on exactly this message. */
  userInactive: () => new GatewayError('userInactive', 'forbidden', 'User is inactive'),
  /** Resource isolation (CSRF): a request carrying the session cookie that another site made the browser send. */
  crossSite: () => new GatewayError('crossSite', 'forbidden', 'cross-site request refused'),
  /** An anonymous request with a body: the body is not read, so the connection closes. */
  bodyWithoutSession: () => new GatewayError('bodyWithoutSession', 'unauthorized', 'unauthorized access', { headers: CLOSE }),
  setupRefused: () =>
    new GatewayError('setupRefused', 'forbidden', 'onboarding through the gateway is disabled; set upstream.allowSetup: true to allow it'),
  passwordChangeRefused: () =>
    new GatewayError('passwordChangeRefused', 'not implemented',
      'passwords live in the gateway configuration: set passwordHash there (npm run hash-password)'),
  notFound: () => new GatewayError('notFound', 'not found', 'path not found'),
  notReady: (reason: string) => new GatewayError('notReady', 'unavailable', reason),
  methodNotAllowed: (allow: string) =>
    new GatewayError('methodNotAllowed', 'method not allowed', 'method not allowed', { headers: { Allow: allow } }),
  bodyTooLarge: (limitBytes: number) =>
    new GatewayError('bodyTooLarge', 'request too large', `request body exceeds ${limitBytes} bytes`, { headers: CLOSE }),
  /** A body that did not arrive in time; its connection is cut, so this is for logs and metrics. */
  bodyTimeout: (timeoutMs: number) =>
    new GatewayError('bodyTimeout', 'invalid', `request body did not arrive within ${timeoutMs} ms`, { status: 408, headers: CLOSE }),
  /** The client closed its connection mid-request: nobody gets this answer; for logs and metrics. */
  clientClosed: (cause: unknown) => new GatewayError('clientClosed', 'invalid', 'client closed the request', { cause, headers: CLOSE }),
  headersTooLarge: () =>
    new GatewayError('headersTooLarge', 'request too large', 'request header fields too large', { status: 431 }),
  /** The request head did not arrive within `limits.headersTimeout` (slowloris). */
  headTimeout: () => new GatewayError('headTimeout', 'invalid', 'request timed out', { status: 408 }),
  badRequest: (message: string) => new GatewayError('badRequest', 'invalid', message),
  /** A transfer coding other than `chunked` (RFC 9112 §6.1: 501): it cannot be forwarded as sent. */
  transferCodingNotImplemented: () =>
    new GatewayError('transferCodingNotImplemented', 'not implemented', 'only the chunked transfer coding is supported',
      { headers: CLOSE }),
  /** A 4xx that Koa or Node raised (status and message exposed by them), in InfluxDB's shape. */
  httpError: (status: number, message: string, cause: unknown) =>
    new GatewayError('httpError', codeForStatus(status), message, { cause, status }),
  upstreamDown: (cause: unknown) => new GatewayError('upstreamDown', 'unavailable', 'InfluxDB is unreachable', { cause }),
  upstreamFailed: (cause: unknown) =>
    new GatewayError('upstreamFailed', 'unavailable', 'InfluxDB closed the connection unexpectedly', { cause, status: 502 }),
  upstreamTimeout: (cause: unknown) => new GatewayError('upstreamTimeout', 'unavailable', 'InfluxDB timed out', { cause, status: 504 }),
  /** A request without a session or token outlived `limits.publicRequestTimeout`. */
  publicRequestTimeout: (timeoutMs: number) =>
    new GatewayError('publicRequestTimeout', 'unavailable', `request without a session took longer than ${timeoutMs} ms`,
      { status: 504, headers: CLOSE }),
  /** More client connections than `limits.maxConnections`: answered on the raw socket. */
  overCapacity: () =>
    new GatewayError('overCapacity', 'unavailable', 'too many connections; retry shortly', { headers: { 'Retry-After': '1', ...CLOSE } }),
  sessionStoreDown: (cause: unknown) => new GatewayError('sessionStoreDown', 'unavailable', 'session store is unavailable', { cause }),
  signinThrottled: (retryAfterMs: number) =>
    new GatewayError('signinThrottled', 'too many requests', 'too many failed sign-ins; retry later', {
      headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) }
    }),
  /**
   * Too many sign-ins in flight for one address or user name (failures plus attempts in flight at
   * `signin.maxFailures`): retry in a second. Not a ban, and not counted as a failure.
   */
  signinConcurrent: (retryAfterMs: number) =>
    new GatewayError('signinConcurrent', 'too many requests', 'too many sign-ins in progress; retry shortly', {
      headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) }
    }),
  /** No hash slot: the queue is full, or the sign-in waited longer than `signin.maxHashWait`. */
  signinBusy: () =>
    new GatewayError('signinBusy', 'unavailable', 'too many sign-ins in progress; retry shortly', { headers: { 'Retry-After': '1' } }),
  /**
   * InfluxDB 3: a request its rule does not allow (a database it may not read or write, an administration
   * route, a statement the gateway cannot classify), or one that names its database twice or nowhere.
   */
  databaseRefused: (reason: string) => new GatewayError('databaseRefused', 'forbidden', reason),
  /** InfluxDB 3's admin token is created and regenerated by the operator at InfluxDB, never through the gateway. */
  adminTokenRefused: () =>
    new GatewayError('adminTokenRefused', 'forbidden', 'creating or regenerating InfluxDB 3\'s admin token is not forwarded, for anyone'),
  /** `upstream.version: auto` has not learned the version yet, and the request's rule is InfluxDB 3's. */
  upstreamVersionUnknown: () =>
    new GatewayError('upstreamVersionUnknown', 'unavailable', 'InfluxDB\'s version is not known yet; retry shortly',
      { headers: { 'Retry-After': '5' } }),
  /** Someone who is no gateway administrator asked to see or end sessions that are not theirs. */
  sessionsRefused: () =>
    new GatewayError('sessionsRefused', 'forbidden', 'only gateway administrators may see or end other people\'s sessions'),
  /** A sessions page form without the token of the session it was shown to (CSRF). */
  formTokenRefused: () => new GatewayError('formTokenRefused', 'forbidden', 'the form is stale or was not sent from the sessions page'),
  /** A signed-in identity that no access rule grants a credential (a directory user outside every rule's group). */
  noAccess: () => new GatewayError('noAccess', 'forbidden', 'no InfluxDB access is granted to this user'),
  /**
   * The LDAP directory did not answer (down, too slow, refusing the service account): never a 401,
   * which would tell the user their password is wrong.
   */
  directoryUnavailable: (cause: unknown) =>
    new GatewayError('directoryUnavailable', 'unavailable', 'the user directory is unavailable; retry shortly',
      { cause, headers: { 'Retry-After': '5' } }),
  /** InfluxDB could not be reached, or failed, while a session's token was minted: no session is made. */
  mintUnavailable: (cause: unknown) =>
    new GatewayError('mintUnavailable', 'unavailable', 'InfluxDB could not create a token for this session; retry shortly',
      { cause, headers: { 'Retry-After': '5' } }),
  /** InfluxDB refused to mint the session's token (the operator token lacks a permission): InfluxDB's own reason. */
  mintRefused: (influxMessage: string, cause: unknown) =>
    new GatewayError('mintRefused', 'forbidden', `InfluxDB refused to create a token for this session: ${influxMessage}`, { cause }),
  /**
   * A trusted auth proxy sent a user or groups header the gateway cannot take as an identity (a list of
   * names, control characters, over the limits): the proxy is misconfigured; nothing is forwarded.
   */
  proxyIdentityInvalid: (message: string) => new GatewayError('proxyIdentityInvalid', 'invalid', `auth proxy identity refused: ${message}`),
  /** `<gatewayPrefix>/auth` asked by a peer not in `forwardAuth.trustedProxies`: it hands out credentials. */
  forwardAuthUntrusted: () =>
    new GatewayError('forwardAuthUntrusted', 'forbidden', 'forward auth answers only the ingress listed in forwardAuth.trustedProxies'),
  /** An original request forward auth cannot judge, or may not let through (its own credentials, a body it cannot see). */
  forwardAuthRefused: (message: string) => new GatewayError('forwardAuthRefused', 'forbidden', message),
  /** A page load without a session: the ingress may send the browser to `location`, the sign-in. */
  forwardAuthSignIn: (location: string) =>
    new GatewayError('forwardAuthSignIn', 'unauthorized', 'unauthorized access', { headers: { Location: location } }),
  internal: (cause: unknown) => new GatewayError('internal', 'internal error', 'internal error', { cause }),
  /**
   * The identity provider answered the sign-in with an error of its own (`access_denied`: the user declined
   * or may not); `providerError` is its OAuth error code as src/auth/oidc-failure.ts lets it be shown.
   */
  ssoDenied: (providerError: string, cause?: unknown) =>
    new GatewayError('ssoDenied', 'forbidden', `the identity provider did not sign you in (${providerError})`, { cause }),
  /**
   * A single sign-on return that fails a check: no or another browser's flow, a replay, an expired flow or
   * code, a token that fails verification. The message names the problem, never a code or token.
   */
  ssoRefused: (message: string, cause?: unknown) => new GatewayError('ssoRefused', 'invalid', message, { cause }),
  /**
   * A back-channel logout request that fails a check: no or a malformed form, or a logout token that fails
   * verification or was used before. The message names the check, never the token or its claims.
   */
  logoutTokenRefused: (message: string, cause?: unknown) => new GatewayError('logoutTokenRefused', 'invalid', message, { cause }),
  /** The identity provider cannot be reached, answers too slowly or not as a provider: the sign-in can be retried. */
  ssoUnavailable: (cause: unknown) =>
    new GatewayError('ssoUnavailable', 'unavailable', 'the identity provider is unavailable; retry shortly',
      { cause, headers: { 'Retry-After': '5' } }),
  /**
   * This client address already has `oidc.maxPendingFlowsPerClient` sign-ins at the provider started and not
   * finished: its own doing (or its network's), so a 429 for it alone, not a 503 that says the gateway is down.
   */
  ssoFlowsPerClient: (retryAfterMs: number) =>
    new GatewayError('ssoFlowsPerClient', 'too many requests',
      'too many sign-ins were started from your address and not finished; finish one, or retry later',
      { headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) } }),
  /**
   * Sign-out: the gateway session has ended, but the identity provider could not be reached to end its own
   * (signing in again may need no password there). Retrying the sign-out reaches it once it is up.
   */
  ssoLogoutIncomplete: (cause: unknown) =>
    new GatewayError('ssoLogoutIncomplete', 'unavailable',
      'you are signed out of the gateway; the identity provider could not be reached to end your session there, ' +
      'so it may sign you in again without asking: sign out again later to end it', { cause, headers: { 'Retry-After': '5' } })
} satisfies Catalogue

/** The InfluxDB code for an HTTP status, for errors raised by Koa or Node rather than by us. */
export function codeForStatus (status: number): InfluxCode {
  const match = (Object.entries(STATUS) as Array<[InfluxCode, number]>).find(([, s]) => s === status)
  return match?.[0] ?? (status >= 500 ? 'internal error' : 'invalid')
}
