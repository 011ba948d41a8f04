import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type Koa from 'koa'
import { STATUS_CODES } from 'node:http'
import { codeForStatus, errors, GatewayError } from '../errors.ts'
import type { GatewayState } from './request-context.ts'

/** The JSON body InfluxDB answers errors with. */
export function errorBody (err: GatewayError): string {
  return JSON.stringify({ code: err.code, message: err.message })
}

/** Writes an error on a plain `ServerResponse` (listeners outside Koa, such as the metrics port). */
export function writeRawError (res: ServerResponse, err: GatewayError): void {
  res.writeHead(err.status, { ...err.headers, 'Content-Type': 'application/json; charset=utf-8', 'X-Platform-Error-Code': err.code })
  res.end(errorBody(err))
}

/**
 * The one place that writes error responses: `{code, message}`, `X-Platform-Error-Code` and the
 * status. GatewayErrors are shown as they are; Koa/Node HTTP errors (`status` + `expose`) keep their
 * status with InfluxDB's code; anything else becomes a 500 with a generic message and is logged.
 */
export function errorHandler (): Koa.Middleware<GatewayState> {
  return async (ctx, next) => {
    try {
      await next()
    } catch (caught) {
      const socket = ctx.req.socket as Socket | null
      if (socket === null || socket.destroyed) {
        // The client went away (an aborted upload, say): nobody to answer, nothing went wrong here.
        ctx.respond = false
        return
      }
      const err = toGatewayError(caught)
      if (err.status >= 500) ctx.state.log.error({ err: caught, code: err.code }, 'request failed')
      if (ctx.res.headersSent) {
        // Mid-stream: the status is gone already; cutting the connection is the only honest signal.
        ctx.res.destroy()
        return
      }
      ctx.respond = true
      ctx.status = err.status
      ctx.set(err.headers)
      ctx.set('X-Platform-Error-Code', err.code)
      ctx.type = 'application/json; charset=utf-8'
      ctx.body = errorBody(err)
    }
  }
}

function toGatewayError (caught: unknown): GatewayError {
  if (caught instanceof GatewayError) return caught
  const status = (caught as { status?: unknown, expose?: unknown } | undefined)?.status
  if (typeof status === 'number' && status >= 400 && status < 500 && (caught as { expose?: unknown }).expose === true) {
    const code = codeForStatus(status)
    return new GatewayError(code, (caught as Error).message, { cause: caught })
  }
  return errors.internal(caught)
}

/**
 * Answers a request Node's parser rejected (before Koa sees it) on the raw socket, in the same
 * InfluxDB shape: 431 for oversized headers, 408 for a timed-out head, 400 otherwise.
 */
export function answerClientError (err: NodeJS.ErrnoException, socket: Socket): void {
  // A response still in flight on this connection (pipelining) must not get bytes spliced into it.
  const inFlight = (socket as Socket & { _httpMessage?: unknown })._httpMessage
  if (!socket.writable || (inFlight !== null && inFlight !== undefined)) {
    socket.destroy()
    return
  }
  const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
  const gw = err.code === 'HPE_HEADER_OVERFLOW'
    ? errors.headersTooLarge()
    : errors.badRequest(timedOut ? 'request timed out' : 'malformed request')
  const status = timedOut ? 408 : gw.status
  const body = errorBody(gw)
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
    `Content-Type: application/json; charset=utf-8\r\nX-Platform-Error-Code: ${gw.code}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
}
