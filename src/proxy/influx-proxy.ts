import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import { PassThrough } from 'node:stream'
import { Pool, type Dispatcher } from 'undici'
import { cleanResponseHeaders } from './forward-headers.ts'
import { errors } from '../errors.ts'
import { BODY_STALLED, mapUpstreamError } from './upstream-errors.ts'

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

/** Per-request bounds of {@link InfluxProxy.forward}. */
export interface ForwardLimits {
  /** The whole exchange must be over within this, ms; then InfluxDB's request is aborted and the
   * client gets 504 (or, once the answer has started, its connection is cut). */
  totalMs?: number
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
  forward (req: IncomingMessage, res: ServerResponse, limits?: ForwardLimits): Promise<void>
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
 * The forwarding engine: an undici `Pool` of keep-alive connections, driven through its handler API:
 * InfluxDB's answer is written straight into the client's response, with back-pressure both ways. Measured on this
 * project's 2-core machine at about 1.6 × http-proxy-3's throughput for 0.6 × its CPU (BENCHMARKS.md).
 */
export function createInfluxProxy (opts: InfluxProxyOptions): InfluxProxy {
  const base = new URL(opts.upstreamUrl)
  const prefix = base.pathname.replace(/\/+$/, '')
  // No body or idle timeout on a started response (a long query result is not a stall); the header
  // timeout is per request. Idle upstream connections are closed after 4 s.
  const pool = new Pool(base.origin, { bodyTimeout: 0, keepAliveTimeout: 4_000 })

  function forward (req: IncomingMessage, res: ServerResponse, limits: ForwardLimits = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      // The client left while the request was being checked: nothing to forward (logged as 499).
      if (res.destroyed) return resolve()
      const started = performance.now()
      const timeoutMs = opts.timeoutMs()
      const headers = req.headers
      const hasBody = headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0')
      for (const name of ENGINE_OWNED) if (name in headers) delete headers[name]
      const upload = hasBody ? requestBody(req, timeoutMs) : undefined
      let controller: Dispatcher.DispatchController | undefined
      /** Why InfluxDB's request is to be stopped (the client left, time is up), once it is. */
      let stopped: Error | undefined
      let clientLeft = false
      let upstreamHeaders: string[] = []
      let settled = false
      const stop = (reason: Error): void => {
        stopped = reason
        controller?.abort(reason) // else onRequestStart aborts it
      }
      const expire = (ms: number): void => {
        stop(errors.publicRequestTimeout(ms))
        settle(stopped)
      }
      const deadline = limits.totalMs === undefined ? undefined : setTimeout(expire, limits.totalMs, limits.totalMs)
      const settle = (err?: Error): void => {
        if (settled) return
        settled = true
        res.off('close', onClose)
        clearTimeout(deadline)
        upload?.done()
        if (err === undefined || clientLeft) return resolve()
        // The total-time bound is the client's doing, not an upstream failure.
        if (err !== stopped) opts.onUpstreamError?.(err, req)
        if (!res.headersSent) {
          // None of InfluxDB's headers (a Set-Cookie, a Content-Length) may ride on the gateway's error.
          for (const name of upstreamHeaders) if (name !== 'vary') res.removeHeader(name)
          return reject(mapUpstreamError(err))
        }
        // Mid-stream: the status is gone already; cutting the connection is the only honest signal.
        res.destroy()
        resolve()
      }
      // The client left before the answer was complete: stop InfluxDB's work and free the connection.
      const onClose = (): void => {
        if (res.writableFinished) return
        clientLeft = true
        stop(new Error('the client closed the connection'))
        settle()
      }
      res.once('close', onClose)
      pool.dispatch({
        path: prefix + (req.url ?? '/'),
        method: req.method as Dispatcher.HttpMethod,
        headers,
        body: upload?.body ?? null,
        headersTimeout: timeoutMs,
        bodyTimeout: 0
      }, {
        onRequestStart (c) {
          controller = c
          if (stopped !== undefined) c.abort(stopped)
        },
        onResponseStart (c, statusCode, upstream) {
          if (statusCode < 200) return // informational: not forwarded
          opts.onUpstreamResponse?.((performance.now() - started) / 1000)
          const cleaned = asNodeHeaders(upstream as Record<string, string | string[] | undefined>)
          cleanResponseHeaders(cleaned, opts.cookieName())
          // InfluxDB's framing described its connection; Node frames the client's own.
          if ('transfer-encoding' in cleaned) delete cleaned['transfer-encoding']
          // Set, not written: they go out with the first body byte, so a body that turns out malformed
          // before that is still answered with the gateway's own 502. The gateway's own headers
          // (request id, CORS grant) are already on `res`.
          res.statusCode = statusCode
          // The response carries the gateway's request id (sent upstream too), not one InfluxDB made up.
          if (res.hasHeader('x-request-id')) delete cleaned['x-request-id']
          upstreamHeaders = Object.keys(cleaned)
          try {
            for (const name of upstreamHeaders) res.setHeader(name, cleaned[name] as string | string[])
          } catch (err) {
            c.abort(err as Error) // a header Node refuses to write: a malformed answer, 502
          }
        },
        onResponseData (c, chunk) {
          // Back-pressure: InfluxDB is read no faster than the client takes the answer.
          if (!res.write(chunk)) {
            c.pause()
            res.once('drain', () => c.resume())
          }
        },
        onResponseEnd () {
          res.end()
          settle()
        },
        onResponseError (_c, err) { settle(err) }
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

/**
 * The client's body as undici's request body. undici destroys its body stream when done, on error
 * too: given `req` itself, a failed request would take the client's connection down before its 504
 * is written, so the body goes through a PassThrough. undici's header timer does not run while a body
 * is being written, so a body that stops arriving is cut here after `timeoutMs` without a byte
 * (`upstream.timeout`, counted from the last byte as before), and answered 504.
 */
function requestBody (req: IncomingMessage, timeoutMs: number): { body: PassThrough, done: () => void } {
  const body = new PassThrough()
  const stalled = setTimeout(() => {
    body.destroy(Object.assign(new Error(`no request body byte within ${timeoutMs} ms`), { code: BODY_STALLED }))
  }, timeoutMs)
  const progress = (): void => { stalled.refresh() }
  const done = (): void => {
    clearTimeout(stalled)
    req.off('data', progress)
  }
  req.on('data', progress)
  req.once('end', done)
  req.pipe(body)
  return { body, done }
}

/**
 * undici's response headers in Node's shape, which the header rules expect: a single `Set-Cookie` is
 * a string there (an array in Node), and a repeated header an array (joined with `, ` in Node).
 */
function asNodeHeaders (headers: Record<string, string | string[] | undefined>): IncomingHttpHeaders {
  for (const [name, value] of Object.entries(headers)) {
    if (name === 'set-cookie') {
      if (typeof value === 'string') headers[name] = [value]
    } else if (Array.isArray(value)) {
      headers[name] = value.join(', ')
    }
  }
  return headers as IncomingHttpHeaders
}
