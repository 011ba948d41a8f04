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

/** An InfluxDB error code, e.g. `unauthorized`. */
export type InfluxCode = keyof typeof STATUS

/** Statuses the gateway uses that InfluxDB's table does not produce for a code. */
type ExtraStatus = 431 | 502 | 504

/** The one error type of the gateway: an InfluxDB code, a message safe to show, and the HTTP status. */
export class GatewayError extends Error {
  readonly status: number
  /** Extra response headers, e.g. `Allow` for 405. */
  readonly headers: Readonly<Record<string, string>>

  constructor (
    readonly code: InfluxCode,
    message: string,
    opts: { cause?: unknown, status?: ExtraStatus, headers?: Record<string, string> } = {}
  ) {
    super(message, { cause: opts.cause })
    this.name = 'GatewayError'
    this.status = opts.status ?? STATUS[code]
    this.headers = opts.headers ?? {}
  }
}

/** The catalogue: the only place that calls `new GatewayError`. */
export const errors = {
  /** Every sign-in failure and every missing/unknown session: identical so user names cannot be probed. */
  unauthorized: () => new GatewayError('unauthorized', 'unauthorized access'),
  /** A disabled (or, for a session, removed) user: the InfluxDB UI signs out on exactly this message. */
  userInactive: () => new GatewayError('forbidden', 'User is inactive'),
  /** Resource isolation (CSRF): a request carrying the session cookie that another site made the browser send. */
  crossSite: () => new GatewayError('forbidden', 'cross-site request refused'),
  /** An anonymous request with a body: the body is not read, so the connection closes. */
  bodyWithoutSession: () => new GatewayError('unauthorized', 'unauthorized access', { headers: { Connection: 'close' } }),
  setupRefused: () =>
    new GatewayError('forbidden', 'onboarding through the gateway is disabled; set upstream.allowSetup: true to allow it'),
  passwordChangeRefused: () =>
    new GatewayError('not implemented', 'passwords live in the gateway configuration: set passwordHash there (npm run hash-password)'),
  notFound: () => new GatewayError('not found', 'path not found'),
  notReady: (reason: string) => new GatewayError('unavailable', reason),
  methodNotAllowed: (allow: string) =>
    new GatewayError('method not allowed', 'method not allowed', { headers: { Allow: allow } }),
  bodyTooLarge: (limitBytes: number) =>
    new GatewayError('request too large', `request body exceeds ${limitBytes} bytes`, { headers: { Connection: 'close' } }),
  headersTooLarge: () =>
    new GatewayError('request too large', 'request header fields too large', { status: 431 }),
  badRequest: (message: string) => new GatewayError('invalid', message),
  upstreamDown: (cause: unknown) => new GatewayError('unavailable', 'InfluxDB is unreachable', { cause }),
  upstreamFailed: (cause: unknown) =>
    new GatewayError('unavailable', 'InfluxDB closed the connection unexpectedly', { cause, status: 502 }),
  upstreamTimeout: (cause: unknown) => new GatewayError('unavailable', 'InfluxDB timed out', { cause, status: 504 }),
  sessionStoreDown: (cause: unknown) => new GatewayError('unavailable', 'session store is unavailable', { cause }),
  signinThrottled: (retryAfterMs: number) => new GatewayError('too many requests', 'too many failed sign-ins; retry later', {
    headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) }
  }),
  signinBusy: () => new GatewayError('unavailable', 'too many sign-ins in progress; retry shortly', { headers: { 'Retry-After': '1' } }),
  internal: (cause: unknown) => new GatewayError('internal error', 'internal error', { cause })
}

/** The InfluxDB code for an HTTP status, for errors raised by Koa or Node rather than by us. */
export function codeForStatus (status: number): InfluxCode {
  const match = (Object.entries(STATUS) as Array<[InfluxCode, number]>).find(([, s]) => s === status)
  return match?.[0] ?? (status >= 500 ? 'internal error' : 'invalid')
}
