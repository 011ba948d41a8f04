import type { IncomingMessage, ServerResponse } from 'node:http'
import { PassThrough } from 'node:stream'
import type { Dispatcher } from 'undici'
import { errors } from '../errors.ts'
import { responseHeaders } from './forward-headers.ts'
import { BODY_STALLED, mapUpstreamError } from './upstream-errors.ts'

/** What an exchange reports to and reads from its proxy. */
export interface ExchangeHooks {
  /** Our cookie name: an upstream `Set-Cookie` for it is dropped. */
  cookieName: () => string
  onUpstreamError?: (err: unknown, req: IncomingMessage) => void
  onUpstreamResponse?: (seconds: number) => void
}

/** Rewrites an answer read in full: its status, body and content type in, the body to send out. */
export type ResponseRewrite = (status: number, body: Buffer, contentType: string) => Buffer

/** The largest answer the gateway reads in full to rewrite (a `SHOW DATABASES` list is far smaller). */
const REWRITE_MAX_BYTES = 4 * 1024 * 1024

/**
 * One request forwarded to InfluxDB and its answer streamed back: an undici dispatch handler (one object
 * per request, its methods on the prototype, rather than a closure per callback). InfluxDB's answer is
 * written straight into the client's response, with back-pressure both ways. Settles exactly once:
 * resolves when the response is over (finished, or the client went away); rejects with the mapped
 * GatewayError only while no response byte has been written, so the caller can still answer.
 */
export class ForwardExchange implements Dispatcher.DispatchHandler {
  /** The client's body as undici reads it, when there is one. */
  readonly upload: Upload | undefined
  private controller: Dispatcher.DispatchController | undefined
  /** Why InfluxDB's request is to be stopped (the client left, time is up), once it is. */
  private stopped: Error | undefined
  private clientLeft = false
  private upstreamHeaders: string[] = []
  private settled = false
  private deadline: NodeJS.Timeout | undefined
  private readonly started = performance.now()
  // Bound rather than an arrow field: tsx names every arrow field as the object is built (esbuild's
  // keepNames: an Object.defineProperty), which showed in a forwarded request's profile.
  private readonly onClose = this.clientClosed.bind(this)
  /** Set for an answer the gateway rewrites: it is read in full (at most {@link REWRITE_MAX_BYTES}) first. */
  private readonly rewrite: ResponseRewrite | undefined
  private readonly held: Buffer[] = []
  private heldBytes = 0

  constructor (
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly hooks: ExchangeHooks,
    private readonly done: { resolve: () => void, reject: (err: Error) => void },
    opts: { hasBody: boolean, idleMs: number, totalMs: number | undefined, rewrite?: ResponseRewrite }
  ) {
    this.rewrite = opts.rewrite
    this.upload = opts.hasBody ? new Upload(req, opts.idleMs) : undefined
    if (opts.totalMs !== undefined) this.deadline = setTimeout(() => this.expire(opts.totalMs as number), opts.totalMs)
    res.on('close', this.onClose) // not once: settle removes it, and once wraps it per request
  }

  onRequestStart (controller: Dispatcher.DispatchController): void {
    this.controller = controller
    if (this.stopped !== undefined) controller.abort(this.stopped)
  }

  onResponseStart (
    controller: Dispatcher.DispatchController, statusCode: number, upstream: Record<string, string | string[] | undefined>
  ): void {
    if (statusCode < 200) return // informational: not forwarded
    this.hooks.onUpstreamResponse?.((performance.now() - this.started) / 1000)
    // The response carries the gateway's request id (sent upstream too), not one InfluxDB made up.
    const ownId = this.res.hasHeader('x-request-id')
    // Set, not written: they go out with the first body byte, so a body that turns out malformed before
    // that is still answered with the gateway's own 502. The gateway's own headers are already on `res`.
    this.res.statusCode = statusCode
    try {
      for (const [name, value] of responseHeaders(upstream, this.hooks.cookieName())) {
        if (ownId && name === 'x-request-id') continue
        this.upstreamHeaders.push(name)
        this.res.setHeader(name, value)
      }
    } catch (err) {
      controller.abort(err as Error) // a header Node refuses to write: a malformed answer, 502
    }
  }

  onResponseData (controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.rewrite !== undefined) {
      this.held.push(chunk)
      this.heldBytes += chunk.length
      if (this.heldBytes > REWRITE_MAX_BYTES) controller.abort(new Error(`an answer to rewrite is over ${REWRITE_MAX_BYTES} bytes`))
      return
    }
    // Back-pressure: InfluxDB is read no faster than the client takes the answer.
    if (!this.res.write(chunk)) {
      controller.pause()
      this.res.once('drain', () => controller.resume())
    }
  }

  onResponseEnd (): void {
    if (this.rewrite !== undefined) {
      const body = this.rewrite(this.res.statusCode, Buffer.concat(this.held), String(this.res.getHeader('content-type') ?? ''))
      this.res.setHeader('content-length', body.length)
      this.res.end(body)
    } else this.res.end()
    this.settle()
  }

  onResponseError (_controller: Dispatcher.DispatchController, err: Error): void {
    this.settle(err)
  }

  private stop (reason: Error): void {
    this.stopped = reason
    this.controller?.abort(reason) // else onRequestStart aborts it
  }

  private expire (totalMs: number): void {
    this.stop(errors.publicRequestTimeout(totalMs))
    this.settle(this.stopped)
  }

  /** The client left before the answer was complete: stop InfluxDB's work and free the connection. */
  private clientClosed (): void {
    if (this.res.writableFinished) return
    this.clientLeft = true
    this.stop(new Error('the client closed the connection'))
    this.settle()
  }

  private settle (err?: Error): void {
    if (this.settled) return
    this.settled = true
    this.res.off('close', this.onClose)
    clearTimeout(this.deadline)
    this.upload?.finish()
    if (err === undefined || this.clientLeft) return this.done.resolve()
    // The total-time bound is the client's doing, not an upstream failure.
    if (err !== this.stopped) this.hooks.onUpstreamError?.(err, this.req)
    if (!this.res.headersSent) {
      // None of InfluxDB's headers (a Set-Cookie, a Content-Length) may ride on the gateway's error.
      for (const name of this.upstreamHeaders) if (name !== 'vary') this.res.removeHeader(name)
      return this.done.reject(mapUpstreamError(err))
    }
    // Mid-stream: the status is gone already; cutting the connection is the only honest signal.
    this.res.destroy()
    this.done.resolve()
  }
}

/**
 * The client's body as undici's request body. undici destroys its body stream when done, on error
 * too: given `req` itself, a failed request would take the client's connection down before its 504
 * is written, so the body goes through a PassThrough. undici's header timer does not run while a body
 * is being written, so a body that stops arriving is cut here after `idleMs` without a byte
 * (`upstream.timeout`, counted from the last byte), and answered 504.
 */
class Upload {
  readonly body = new PassThrough()
  private readonly stalled: NodeJS.Timeout
  private readonly progress = (): void => { this.stalled.refresh() }

  constructor (private readonly req: IncomingMessage, idleMs: number) {
    this.stalled = setTimeout(() => {
      this.body.destroy(Object.assign(new Error(`no request body byte within ${idleMs} ms`), { code: BODY_STALLED }))
    }, idleMs)
    req.on('data', this.progress)
    req.once('end', () => this.finish())
    req.pipe(this.body)
  }

  finish (): void {
    clearTimeout(this.stalled)
    this.req.off('data', this.progress)
  }
}
