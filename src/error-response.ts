import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { STATUS_CODES } from 'node:http'
import { errors, type ErrorKind, type GatewayError } from './errors.ts'

/**
 * The shape of an error answer: InfluxDB 2's `{code, message}` with `X-Platform-Error-Code` (every route
 * in front of InfluxDB 2, and the gateway's own), or InfluxDB 1.x's `{error}` with `WWW-Authenticate` on a
 * 401 and `X-Influxdb-Error` otherwise (the v1 routes `/query` and `/write` in front of InfluxDB 1.x, whose
 * clients read that), or a page a person can read (`html`: the single sign-on routes, which a browser
 * navigates to), or OAuth's `{error, error_description}` (`oauth`: back-channel logout, which an identity
 * provider calls as OpenID Connect Back-Channel Logout 1.0 says).
 */
export type ErrorDialect = 'influxdb2' | 'influxdb1' | 'html' | 'oauth'

/** An error answer's headers and body, before any transport writes them. */
export interface ErrorResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/** The one place that shapes error answers; the Koa error handler and the raw writers below send it. */
export function errorResponse (err: GatewayError, dialect: ErrorDialect = 'influxdb2'): ErrorResponse {
  const json = 'application/json; charset=utf-8'
  if (dialect === 'html') return htmlErrorResponse(err)
  if (dialect === 'oauth') return oauthErrorResponse(err)
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

/** Titles of the HTML error page, by status. */
const PAGE_TITLES: Record<number, string> = {
  400: 'Sign-in failed', 403: 'Access refused', 404: 'Not found', 405: 'Not allowed', 429: 'Too many sign-ins', 503: 'Sign-in unavailable'
}

/** Titles of the HTML error page for errors whose status alone would mislead (a sign-out that did end the session). */
const KIND_TITLES: Partial<Record<ErrorKind, string>> = { ssoLogoutIncomplete: 'Signed out of the gateway' }

/**
 * The error as a small HTML page: the title and the message (HTML-escaped; messages never carry codes
 * or tokens), a way back, no script and nothing loaded (the CSP forbids it).
 */
function htmlErrorResponse (err: GatewayError): ErrorResponse {
  const title = KIND_TITLES[err.kind] ?? PAGE_TITLES[err.status] ?? (err.status >= 500 ? 'Something went wrong' : 'Request refused')
  const body = '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">' +
    `<title>${escapeHtml(title)}</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em}` +
    '</style></head>\n' +
    `<body><h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(capitalized(err.message))}.</p>\n` +
    '<p><a href="/">Back to InfluxDB</a></p></body></html>\n'
  const headers = {
    ...err.headers,
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    'X-Content-Type-Options': 'nosniff',
    // The page may be the callback's, whose address holds the authorization code: its link must not send it on.
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    'X-Platform-Error-Code': err.code
  }
  return { status: err.status, headers, body }
}

/**
 * The error as OAuth 2.0 (RFC 6749 section 5.2) writes one: a request the gateway refuses is
 * `invalid_request` (what Back-Channel Logout section 2.8 asks for with its 400), the gateway or the
 * provider unavailable `temporarily_unavailable`, anything else `server_error`; never cached.
 */
function oauthErrorResponse (err: GatewayError): ErrorResponse {
  const error = err.status < 500 ? 'invalid_request' : err.status === 503 ? 'temporarily_unavailable' : 'server_error'
  const json = 'application/json; charset=utf-8'
  const headers = { ...err.headers, 'Content-Type': json, 'Cache-Control': 'no-store', 'X-Platform-Error-Code': err.code }
  return { status: err.status, headers, body: JSON.stringify({ error, error_description: err.message }) }
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Text made safe to place in HTML content or a quoted attribute. */
export function escapeHtml (text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c)
}

function capitalized (text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
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
