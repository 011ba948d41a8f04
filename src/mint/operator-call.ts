/** Options of the admin clients (InfluxDB 2's and 3's); read on every call, so a reload applies. */
export interface InfluxAdminClientOptions {
  /** InfluxDB's base URL. */
  url: () => string
  /** The operator token: the only credential these clients send. */
  operatorToken: () => string | undefined
  /** Longest one call may take, ms. */
  timeoutMs: () => number
}

/**
 * Why a call failed: InfluxDB could not be reached (`status` undefined), or answered an error (`status`,
 * InfluxDB's own `message`). Never carries a token.
 */
export class InfluxAdminError extends Error {
  constructor (readonly status: number | undefined, readonly influxMessage: string, opts: { cause?: unknown } = {}) {
    super(status === undefined ? `InfluxDB is unreachable: ${influxMessage}` : `InfluxDB answered ${status}: ${influxMessage}`, opts)
    this.name = 'InfluxAdminError'
  }
}

/** One call made with the operator token. */
export interface OperatorRequest {
  method: string
  /** Relative to the base URL (`api/v2/orgs`, `api/v3/configure/token`). */
  path: string
  query?: Record<string, string>
  /** Sent as JSON. */
  body?: unknown
  /** How InfluxDB takes the token: `Token` (InfluxDB 2), `Bearer` (InfluxDB 3). */
  scheme: 'Token' | 'Bearer'
}

/** InfluxDB's answer: its status and its body as text (an unreadable body is empty). */
export interface OperatorAnswer { status: number, ok: boolean, text: string, headers: Headers }

const JSON_BODY = { 'content-type': 'application/json' }

/**
 * Makes one call with the operator token, over `fetch` (undici), within `timeoutMs`. SECURITY: the token goes
 * only in this call's `Authorization`, never in a URL, a log line or an error; a call that cannot reach
 * InfluxDB rejects with an {@link InfluxAdminError} naming only the transport's error code.
 */
export async function operatorCall (opts: InfluxAdminClientOptions, req: OperatorRequest): Promise<OperatorAnswer> {
  const base = opts.url()
  const url = new URL(req.path, base.endsWith('/') ? base : `${base}/`)
  for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v)
  let res: Response
  try {
    res = await fetch(url, {
      method: req.method,
      headers: { authorization: `${req.scheme} ${opts.operatorToken() ?? ''}`, ...(req.body === undefined ? {} : JSON_BODY) },
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
      signal: AbortSignal.timeout(opts.timeoutMs())
    })
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name
    throw new InfluxAdminError(undefined, code, { cause: err })
  }
  const text = await res.text().catch(() => '')
  return { status: res.status, ok: res.ok, text, headers: res.headers }
}
