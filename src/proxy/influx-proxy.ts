import http, { type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http'
import https from 'node:https'
import { createProxyServer } from 'http-proxy-3'
import { cleanResponseHeaders } from './forward-headers.ts'
import { mapUpstreamError, UPSTREAM_TIMEOUT } from './upstream-errors.ts'

/** Options for {@link createInfluxProxy}. */
export interface InfluxProxyOptions {
  /** InfluxDB base URL. */
  upstreamUrl: string
  /** Longest wait for response headers, ms; a response that has started is never cut. */
  timeoutMs: number
  /** Our cookie name: an upstream `Set-Cookie` for it is dropped. */
  cookieName: string
  /** Called for transport failures (logging, metrics); the client gets the mapped error. */
  onUpstreamError?: (err: unknown, req: IncomingMessage) => void
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
  /** Closes idle upstream connections. */
  close (): void
}

interface InFlight { proxyReq?: ClientRequest, settled: boolean }

/** The forwarding engine: http-proxy-3 with a keep-alive agent and a response-header timeout. */
export function createInfluxProxy (opts: InfluxProxyOptions): InfluxProxy {
  const secure = new URL(opts.upstreamUrl).protocol === 'https:'
  // A keep-alive agent is mandatory: without one every request opens a new upstream connection and
  // http-proxy sends `Connection: close` both ways (docs/LIBRARIES.md).
  const agent = new (secure ? https.Agent : http.Agent)({ keepAlive: true, scheduling: 'lifo' })
  const proxy = createProxyServer({ target: opts.upstreamUrl, agent, changeOrigin: true, xfwd: false })
  const inFlight = new WeakMap<IncomingMessage, InFlight>()

  proxy.on('proxyReq', (proxyReq, req) => {
    const state = inFlight.get(req)
    if (state === undefined || state.settled) proxyReq.destroy()
    else state.proxyReq = proxyReq
  })
  proxy.on('proxyRes', (proxyRes, _req, res) => {
    cleanResponseHeaders(proxyRes.headers, opts.cookieName)
    // An upstream that dies mid-body must not leave the client waiting forever.
    proxyRes.once('close', () => { if (!proxyRes.complete) res.destroy() })
  })
  // Without an `error` listener http-proxy throws and kills the process.
  proxy.on('error', (err, req) => opts.onUpstreamError?.(err, req))

  function forward (req: IncomingMessage, res: ServerResponse): Promise<void> {
    return new Promise((resolve, reject) => {
      const state: InFlight = { settled: false }
      inFlight.set(req, state)
      const settle = (err?: unknown): void => {
        if (state.settled) return
        state.settled = true
        clearTimeout(timer)
        if (err === undefined) resolve()
        else reject(mapUpstreamError(err))
      }
      const timer = setTimeout(() => {
        if (res.headersSent) return
        state.proxyReq?.destroy()
        settle(Object.assign(new Error(`no response headers within ${opts.timeoutMs} ms`), { code: UPSTREAM_TIMEOUT }))
      }, opts.timeoutMs)
      res.once('pipe', () => clearTimeout(timer))
      res.once('close', () => settle())
      proxy.web(req, res, {}, (err) => {
        opts.onUpstreamError?.(err, req)
        if (!res.headersSent) return settle(err)
        res.destroy()
        settle()
      })
    })
  }

  return { forward, agent, close: () => agent.destroy() }
}
