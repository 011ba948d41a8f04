import type { IncomingMessage, ServerResponse } from 'node:http'
import { Pool, type Dispatcher } from 'undici'
import { hasBody } from '../route-rules.ts'
import { ForwardExchange, type ResponseRewrite } from './forward-exchange.ts'

/** Options for {@link createInfluxForwarder}. */
export interface InfluxForwarderOptions {
  /** InfluxDB base URL; a path in it prefixes every forwarded path. */
  upstreamUrl: string
  /** Longest wait for response headers, ms, read per request (reloadable): counted from the last
   * request-body byte sent, so a long upload is not a stall; a response that has started is never cut. */
  timeoutMs: () => number
  /** Our cookie name (read per response): an upstream `Set-Cookie` for it is dropped. */
  cookieName: () => string
  /** Called for transport failures and timeouts (logging, metrics); the client gets the mapped error. */
  onUpstreamError?: (err: unknown, req: IncomingMessage) => void
  /** Called with the time from forwarding to InfluxDB's response headers, in seconds. */
  onUpstreamResponse?: (seconds: number) => void
}

/** Per-request bounds of {@link InfluxForwarder.forward}. */
export interface ForwardLimits {
  /** The whole exchange must be over within this, ms; then InfluxDB's request is aborted and the
   * client gets 504 (or, once the answer has started, its connection is cut). */
  totalMs?: number
  /**
   * The request's body, already read in full (the gateway read it to decide the request: InfluxDB 3's
   * database in a query's body): sent as it is instead of the client's stream, with its length.
   */
  body?: Buffer
  /** Read InfluxDB's answer in full and send what this makes of it (InfluxDB 3's `SHOW DATABASES`, filtered). */
  rewrite?: ResponseRewrite
}

/** Upstream connections, for health checks and leak tests. */
export interface UpstreamConnections {
  /** Open connections. */
  open: number
  /** Open connections with no request on them. */
  idle: number
  /** Requests sent or waiting to be sent. */
  inFlight: number
}

/** Forwards requests to InfluxDB, streaming both ways. */
export interface InfluxForwarder {
  /**
   * Streams `req` (already rewritten) to InfluxDB and the answer back to `res`. Resolves when the
   * response is over (finished, or the client went away); rejects with a GatewayError only while no
   * response byte has been written, so the caller can still answer with an InfluxDB-style error.
   */
  forward (req: IncomingMessage, res: ServerResponse, limits?: ForwardLimits): Promise<void>
  connections (): UpstreamConnections
  /**
   * Stops taking requests (after a change of upstream): in-flight ones finish, then connections close. A
   * request that still comes here (one that began before the change) goes to `successor`.
   */
  retire (successor?: InfluxForwarder): void
  /** Closes every upstream connection at once. */
  close (): void
  /**
   * The same connections, forwarding with other settings: each configuration's runtime gets its own view,
   * so a request forwards with the timeout and cookie name of the configuration it started under.
   */
  withSettings (settings: ForwarderSettings): InfluxForwarder
}

/** What a configuration sets of forwarding. */
export type ForwarderSettings = Pick<InfluxForwarderOptions, 'timeoutMs' | 'cookieName'>

/**
 * Request headers undici frames or refuses itself: it sends its own `Host` (the upstream's), and
 * writes the body as chunked when the client's was (the client's own framing is never copied, so a
 * chunked DELETE cannot smuggle a request onto a shared connection).
 */
const ENGINE_OWNED = ['host', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'expect']

/**
 * The forwarding engine: an undici `Pool` of keep-alive connections, driven through its handler API
 * (one {@link ForwardExchange} per request). Why undici: BENCHMARKS.md.
 */
export function createInfluxForwarder (opts: InfluxForwarderOptions): InfluxForwarder {
  const base = new URL(opts.upstreamUrl)
  const prefix = base.pathname.replace(/\/+$/, '')
  // No body or idle timeout on a started response (a long query result is not a stall); the header
  // timeout is per request. Idle upstream connections are closed after 4 s.
  const pool = new Pool(base.origin, { bodyTimeout: 0, keepAliveTimeout: 4_000 })
  const connections = (): UpstreamConnections => {
    const { connected, free, size } = pool.stats
    return { open: connected, idle: free, inFlight: size }
  }
  const retired: Retired = { successor: undefined }
  const retire = (successor?: InfluxForwarder): void => {
    retired.successor = successor
    pool.close().catch(() => {})
  }
  const close = (): void => { pool.destroy().catch(() => {}) }
  const proxyWith = (hooks: InfluxForwarderOptions): InfluxForwarder => ({
    forward: forwardTo(pool, prefix, hooks, retired),
    connections,
    retire,
    close,
    withSettings: (settings) => proxyWith({ ...hooks, ...settings })
  })
  return proxyWith(opts)
}

/** Where a retired proxy's late requests go (a closed pool takes none). */
interface Retired { successor: InfluxForwarder | undefined }

/** Forwarding over `pool` with the settings and reports of `opts`. */
function forwardTo (pool: Pool, prefix: string, opts: InfluxForwarderOptions, retired: Retired): InfluxForwarder['forward'] {
  return function forward (req: IncomingMessage, res: ServerResponse, limits: ForwardLimits = {}): Promise<void> {
    if (retired.successor !== undefined) return retired.successor.forward(req, res, limits)
    return new Promise((resolve, reject) => {
      // The client left while the request was being checked: nothing to forward (logged as 499).
      if (res.destroyed) return resolve()
      const timeoutMs = opts.timeoutMs()
      const headers = req.headers
      // Read before the framing headers go: undici frames the body itself.
      const read = limits.body
      const shape = { hasBody: read === undefined && hasBody(headers), idleMs: timeoutMs, totalMs: limits.totalMs, rewrite: limits.rewrite }
      // Set undefined (never sent), not deleted: see prepareUpstreamRequest.
      for (const name of ENGINE_OWNED) if (headers[name] !== undefined) headers[name] = undefined
      if (read !== undefined) headers['content-length'] = String(read.length)
      const exchange = new ForwardExchange(req, res, opts, { resolve, reject }, shape)
      pool.dispatch({
        path: prefix + (req.url ?? '/'),
        method: req.method as Dispatcher.HttpMethod,
        headers,
        body: read ?? exchange.upload?.body ?? null,
        headersTimeout: timeoutMs,
        bodyTimeout: 0
      }, exchange)
    })
  }
}
