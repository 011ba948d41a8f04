import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { STATUS_CODES } from 'node:http'
import { errors, type GatewayError } from './errors.ts'

/**
 * The shape of an error answer: InfluxDB 2's `{code, message}` with `X-Platform-Error-Code` (every route
 * in front of InfluxDB 2, and the gateway's own), or InfluxDB 1.x's `{error}` with `WWW-Authenticate` on a
 * 401 and `X-Influxdb-Error` otherwise (the v1 routes `/query` and `/write` in front of InfluxDB 1.x, whose
 * clients read that).
 */
export type ErrorDialect = 'influxdb2' | 'influxdb1'

/** An error answer's headers and body, before any transport writes them. */
export interface ErrorResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/** The one place that shapes error answers; the Koa error handler and the raw writers below send it. */
export function errorResponse (err: GatewayError, dialect: ErrorDialect = 'influxdb2'): ErrorResponse {
  const json = 'application/json; charset=utf-8'
  if (dialect === 'influxdb1') {
    const challenge: Record<string, string> = err.status === 401
      ? { 'WWW-Authenticate': 'Basic realm="InfluxDB"' }
      : { 'X-Influxdb-Error': err.message }
    const headers = { ...err.headers, ...challenge, 'Content-Type': json }
    return { status: err.status, headers, body: JSON.stringify({ error: err.message }) }
  }
  return {
    status: err.status,
    headers: { ...err.headers, 'Content-Type': json, 'X-Platform-Error-Code': err.code },
    body: JSON.stringify({ code: err.code, message: err.message })
  }
}

/** Writes an error on a plain `ServerResponse` (listeners outside Koa, such as the metrics port). */
export function writeRawError (res: ServerResponse, err: GatewayError): void {
  const { status, headers, body } = errorResponse(err)
  res.writeHead(status, headers).end(body)
}

/**
 * A whole HTTP/1.1 error response as bytes for a raw socket, ending the connection
 * (`Connection: close`): for answers written before or instead of Node's HTTP parser.
 */
export function rawErrorResponse (err: GatewayError): string {
  const { status, headers, body } = errorResponse(err)
  const all = { ...headers, 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close' }
  const lines = Object.entries(all).map(([name, value]) => `${name}: ${value}\r\n`).join('')
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${lines}\r\n${body}`
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
