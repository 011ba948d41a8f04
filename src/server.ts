import http from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { capConnections } from './http/connection-cap.ts'
import { answerClientError } from './error-response.ts'

/** Where and how to listen. */
export interface ListenOptions {
  host: string
  port: number
  /** Largest request head; larger gets 431. */
  maxHeaderBytes: number
  /** The whole request head must arrive within this (slowloris), ms; then 408. */
  headersTimeoutMs: number
  /** Idle keep-alive connections are closed after this, ms. */
  keepAliveTimeoutMs: number
  /** Client connections served at once, read per connection (reloadable); more get a raw 503 (see `capConnections`). */
  maxConnections: () => number
  /** Called for each connection refused over `maxConnections`. */
  onConnectionRefused?: () => void
  /** Serve HTTPS with this PEM certificate chain and key. */
  tls?: { cert: string | Buffer, key: string | Buffer }
}

/** A listening gateway. */
export interface RunningServer {
  /** `http(s)://host:port` actually bound (port 0 resolved). */
  url: string
  server: http.Server | https.Server
  /** Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts what is left. */
  close (graceMs?: number): Promise<void>
}

/** Starts an HTTP(S) server answering with `listener` (the gateway's request pipeline). */
export async function listen (listener: http.RequestListener, opts: ListenOptions): Promise<RunningServer> {
  const options = {
    maxHeaderSize: opts.maxHeaderBytes,
    // Node's default (300 s for a whole request) would cut long streaming writes through the proxy;
    // slow heads are bounded by headersTimeout, slow sign-in bodies by limits.signinBodyTimeout.
    requestTimeout: 0,
    headersTimeout: opts.headersTimeoutMs,
    keepAliveTimeout: opts.keepAliveTimeoutMs,
    // Node checks the timeouts above on this interval (30 s by default): a quarter of the budget.
    connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(opts.headersTimeoutMs / 4)))
  }
  const server = opts.tls === undefined
    ? http.createServer(options, listener)
    : https.createServer({ ...options, ...opts.tls }, listener)
  server.on('clientError', answerClientError)
  capConnections(server, () => ({ max: opts.maxConnections(), onRefused: opts.onConnectionRefused }))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host, () => { server.off('error', reject); resolve() })
  })
  const { address, port } = server.address() as AddressInfo
  const host = address.includes(':') ? `[${address}]` : address
  const scheme = opts.tls === undefined ? 'http' : 'https'
  return { url: `${scheme}://${host}:${port}`, server, close: (graceMs) => closeServer(server, graceMs ?? 25_000) }
}

async function closeServer (server: http.Server | https.Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  server.closeIdleConnections()
  const timer = setTimeout(() => server.closeAllConnections(), graceMs)
  timer.unref()
  await closed
  clearTimeout(timer)
}
