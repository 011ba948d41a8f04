import type { IncomingMessage, ServerResponse } from 'node:http'
import type { GatewayState, RequestScope } from './request-context.ts'

/**
 * The scope a forwarded request runs on: the request, its response and its state, with `get`/`set`
 * meaning what Koa's do. Nothing else is made per request (Koa's context, its response tracking and
 * middleware promises measured ~9 µs of a forwarded request: BENCHMARKS.md).
 */
export function requestScope (req: IncomingMessage, res: ServerResponse): RequestScope {
  return new PlainScope(req, res)
}

class PlainScope implements RequestScope {
  readonly method: string
  /** Set by the request context's `begin`, before any step reads it. */
  state!: GatewayState

  constructor (readonly req: IncomingMessage, readonly res: ServerResponse) {
    this.method = req.method ?? 'GET'
  }

  get (field: string): string {
    const headers = this.req.headers
    const name = field.toLowerCase()
    const value = name === 'referer' || name === 'referrer' ? headers.referrer || headers.referer : headers[name]
    return typeof value === 'string' ? value : value === undefined ? '' : value.join(', ')
  }

  set (field: string, value: string): void {
    this.res.setHeader(field, value)
  }
}
