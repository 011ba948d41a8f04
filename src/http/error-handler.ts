import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type Koa from 'koa'
import { STATUS_CODES } from 'node:http'
import { errors, GatewayError } from '../errors.ts'
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
      // A request without credentials that ran out of time is the client's doing, not a failure here.
      if (err.kind === 'publicRequestTimeout') ctx.state.log.info({ code: err.code, reason: err.message }, 'request cut')
      else if (err.status >= 500) ctx.state.log.error({ err: caught, code: err.code }, 'request failed')
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
    return errors.httpError(status, (caught as Error).message, caught)
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
  const gw = err.code === 'HPE_HEADER_OVERFLOW'
    ? errors.headersTooLarge()
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? errors.headTimeout() : errors.badRequest('malformed request')
  socket.end(rawErrorResponse(gw))
}

/**
 * A whole HTTP/1.1 error response as bytes for a raw socket, ending the connection
 * (`Connection: close`): for answers written before or instead of Node's HTTP parser.
 */
export function rawErrorResponse (err: GatewayError): string {
  const body = errorBody(err)
  const headers = { ...err.headers, 'Content-Type': 'application/json; charset=utf-8', 'X-Platform-Error-Code': err.code, 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close' }
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('')
  return `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? ''}\r\n${lines}\r\n${body}`
}
