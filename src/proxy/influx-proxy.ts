import { EventEmitter } from 'node:events'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { PassThrough } from 'node:stream'
import { Pool } from 'undici'
import { cleanResponseHeaders } from './forward-headers.ts'
import { mapUpstreamError } from './upstream-errors.ts'

/** Options for {@link createInfluxProxy}. */
export interface InfluxProxyOptions {
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
export interface InfluxProxy {
  /**
   * Streams `req` (already rewritten) to InfluxDB and the answer back to `res`. Resolves when the
   * response is over (finished, or the client went away); rejects with a GatewayError only while no
   * response byte has been written, so the caller can still answer with an InfluxDB-style error.
   */
  forward (req: IncomingMessage, res: ServerResponse): Promise<void>
  connections (): UpstreamConnections
  /** Stops taking requests (after a change of upstream): in-flight ones finish, then connections close. */
  retire (): void
  /** Closes every upstream connection at once. */
  close (): void
}

/**
 * Request headers undici frames or refuses itself: it sends its own `Host` (the upstream's), and
 * writes the body as chunked when the client's was (the client's own framing is never copied, so a
 * chunked DELETE cannot smuggle a request onto a shared connection).
 */
const ENGINE_OWNED = ['host', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'expect']

/**
 * The forwarding engine: an undici `Pool` of keep-alive connections and its `stream` API, which writes
 * InfluxDB's answer straight into the client's response with back-pressure. Measured on this
 * project's 2-core machine at about 1.6 × http-proxy-3's throughput for half its CPU (BENCHMARKS.md).
 */
export function createInfluxProxy (opts: InfluxProxyOptions): InfluxProxy {
  const base = new URL(opts.upstreamUrl)
  const prefix = base.pathname.replace(/\/+$/, '')
  // No body or idle timeout on a started response (a long query result is not a stall); the header
  // timeout is per request. Keep-alive follows InfluxDB's `Keep-Alive` hint, so an idle connection
  // is never reused just as InfluxDB closes it.
  const pool = new Pool(base.origin, { bodyTimeout: 0, keepAliveTimeout: 4_000 })

  function forward (req: IncomingMessage, res: ServerResponse): Promise<void> {
    return new Promise((resolve, reject) => {
      const started = performance.now()
      // undici also takes an EventEmitter as its signal: much cheaper per request than an AbortController.
      const abort = new EventEmitter()
      let clientLeft = false
      // The client left before the answer was complete: stop InfluxDB's work and free the connection.
      const onClose = (): void => {
        if (res.writableFinished) return
        clientLeft = true
        abort.emit('abort')
      }
      res.once('close', onClose)
      const headers = req.headers
      const hasBody = headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0')
      for (const name of ENGINE_OWNED) if (name in headers) delete headers[name]
      pool.stream({
        path: prefix + (req.url ?? '/'),
        method: req.method as 'GET',
        headers,
        // undici destroys the body stream when it is done with it, on error too: given `req` itself,
        // a failed request would take the client's connection down before its 504 is written.
        body: hasBody ? req.pipe(new PassThrough()) : null,
        signal: abort,
        headersTimeout: opts.timeoutMs(),
        bodyTimeout: 0
      }, ({ statusCode, headers: upstream }) => {
        opts.onUpstreamResponse?.((performance.now() - started) / 1000)
        cleanResponseHeaders(upstream, opts.cookieName())
        // InfluxDB's framing described its connection; Node frames the client's own.
        if ('transfer-encoding' in upstream) delete upstream['transfer-encoding']
        // Merged with the gateway's own headers already set on `res` (request id, CORS grant).
        res.writeHead(statusCode, upstream as Record<string, string | string[]>)
        return res
      }, (err) => {
        res.off('close', onClose)
        if (err === null || clientLeft) return resolve()
        opts.onUpstreamError?.(err, req)
        if (!res.headersSent) return reject(mapUpstreamError(err))
        // Mid-stream: the status is gone already; cutting the connection is the only honest signal.
        res.destroy()
        resolve()
      })
    })
  }

  const connections = (): UpstreamConnections => {
    const { connected, free, size } = pool.stats
    return { open: connected, idle: free, inFlight: size }
  }
  return {
    forward,
    connections,
    retire: () => { pool.close().catch(() => {}) },
    close: () => { pool.destroy().catch(() => {}) }
  }
}
