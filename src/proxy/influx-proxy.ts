import http, { type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http'
import https from 'node:https'
import { createProxyServer } from 'http-proxy-3'
import { cleanResponseHeaders } from './forward-headers.ts'
import { mapUpstreamError, UPSTREAM_TIMEOUT } from './upstream-errors.ts'

/** Options for {@link createInfluxProxy}. */
export interface InfluxProxyOptions {
  /** InfluxDB base URL. */
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

/** Forwards requests to InfluxDB, streaming both ways. */
export interface InfluxProxy {
  /**
   * Streams `req` (already rewritten) to InfluxDB and the answer back to `res`. Resolves when the
   * response is over (finished, or the client went away); rejects with a GatewayError only while no
   * response byte has been written, so the caller can still answer with an InfluxDB-style error.
   */
  forward (req: IncomingMessage, res: ServerResponse): Promise<void>
  /** The keep-alive agent, to inspect its sockets. */
  readonly agent: http.Agent
  /** Stops reusing connections (after a change of upstream): in-flight requests finish, idle ones close. */
  retire (): void
  /** Closes every upstream connection. */
  close (): void
}

interface InFlight {
  settled: boolean
  proxyReq?: ClientRequest
  /** Response-header timer; refreshed while the request body is still flowing. */
  timer?: NodeJS.Timeout
  /** The client's own framing, restored after http-proxy's deleteLength pass. */
  transferEncoding?: string
  started: bigint
}

/** The forwarding engine: http-proxy-3 with a keep-alive agent and a response-header timeout. */
export function createInfluxProxy (opts: InfluxProxyOptions): InfluxProxy {
  const secure = new URL(opts.upstreamUrl).protocol === 'https:'
  // A keep-alive agent is mandatory: without one every request opens a new upstream connection and
  // http-proxy sends `Connection: close` both ways (docs/LIBRARIES.md).
  const agent = new (secure ? https.Agent : http.Agent)({ keepAlive: true, scheduling: 'lifo' })
  const proxy = createProxyServer({ target: opts.upstreamUrl, agent, changeOrigin: true, xfwd: false })
  const inFlight = new WeakMap<IncomingMessage, InFlight>()

  // SECURITY: http-proxy's deleteLength pass turns a chunked DELETE/OPTIONS into `Content-Length: 0`
  // while still streaming the body, which smuggles it onto the shared upstream socket
  // (CVE-2026-29057). Put the client's framing back just before the request is sent.
  proxy.before('web', 'stream', function restoreFraming (req: IncomingMessage) {
    const te = inFlight.get(req)?.transferEncoding
    if (te === undefined) return
    delete req.headers['content-length']
    req.headers['transfer-encoding'] = te
  })
  proxy.on('proxyReq', (proxyReq, req) => {
    const state = inFlight.get(req)
    if (state === undefined || state.settled) {
      proxyReq.destroy()
      return
    }
    state.proxyReq = proxyReq
    // The wait for headers starts once the whole request has gone out (a long upload is not a stall).
    proxyReq.once('finish', () => state.timer?.refresh())
  })
  proxy.on('proxyRes', (proxyRes, req, res) => {
    const started = inFlight.get(req)?.started
    if (started !== undefined) opts.onUpstreamResponse?.(Number(process.hrtime.bigint() - started) / 1e9)
    cleanResponseHeaders(proxyRes.headers, opts.cookieName())
    // http-proxy would otherwise write `Connection: keep-alive` when the client (or a stopping
    // gateway) wants the connection closed.
    const closing = (res as ServerResponse & { shouldKeepAlive?: boolean }).shouldKeepAlive === false || res.getHeader('connection') === 'close'
    if (closing) proxyRes.headers.connection = 'close'
    // An upstream that dies mid-body must not leave the client waiting forever.
    proxyRes.once('close', () => { if (!proxyRes.complete) res.destroy() })
  })
  // Without an `error` listener http-proxy throws and kills the process.
  proxy.on('error', (err, req) => opts.onUpstreamError?.(err, req))

  function forward (req: IncomingMessage, res: ServerResponse): Promise<void> {
    return new Promise((resolve, reject) => {
      const timeoutMs = opts.timeoutMs()
      const state: InFlight = { settled: false, transferEncoding: req.headers['transfer-encoding'], started: process.hrtime.bigint() }
      inFlight.set(req, state)
      // The gateway's own headers (request id, CORS); anything else on `res` came from InfluxDB.
      const own = new Set(res.getHeaderNames())
      const settle = (err?: unknown): void => {
        if (state.settled) return
        state.settled = true
        clearTimeout(state.timer)
        req.off('data', progress)
        if (err === undefined) return resolve()
        // A response that failed before its head went out leaves its headers behind: the gateway's own
        // error must not carry them (a Set-Cookie, a Content-Length).
        if (!res.headersSent) for (const name of res.getHeaderNames()) if (!own.has(name)) res.removeHeader(name)
        reject(mapUpstreamError(err))
      }
      const progress = (): void => { state.timer?.refresh() }
      state.timer = setTimeout(() => {
        if (res.headersSent) return
        state.proxyReq?.destroy()
        const err = Object.assign(new Error(`no response headers within ${timeoutMs} ms`), { code: UPSTREAM_TIMEOUT })
        opts.onUpstreamError?.(err, req)
        settle(err)
      }, timeoutMs)
      res.once('pipe', () => { clearTimeout(state.timer); req.off('data', progress) })
      res.once('close', () => settle())
      try {
        proxy.web(req, res, {}, (err) => {
          if (state.settled) return
          opts.onUpstreamError?.(err, req)
          if (!res.headersSent) return settle(err)
          res.destroy()
          settle()
        })
      } catch (err) {
        settle(err)
      }
      // Added after web() has piped the body, so it only observes progress.
      req.on('data', progress)
    })
  }

  const retire = (): void => {
    // A non-keep-alive agent closes each socket when its request is done.
    Object.assign(agent, { keepAlive: false })
    for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy()
  }
  return { forward, agent, retire, close: () => agent.destroy() }
}
