import type { AppDeps } from '../app-deps.ts'
import { prepareUpstreamRequest } from '../forwarder/forward-headers.ts'
import type { ForwardLimits } from '../forwarder/influx-forwarder.ts'
import type { RequestScope } from './request-context.ts'
import type { Authentication } from '../access/access-decision.ts'

type ForwardDeps = Pick<AppDeps, 'config' | 'forwarder' | 'credentials' | 'cookie'>

/**
 * The last step: rewrites the request for InfluxDB (our cookie out, the session or proxy identity's
 * credential in) and streams it there and back. Bodies are never parsed here; an InfluxDB 3 query's body that
 * its rules read is sent as read (`forwarding.body`), and a `SHOW DATABASES` answer filtered (`forwarding.rewrite`).
 * SECURITY: a request without a session or token (a public route) gets `limits.publicRequestTimeout`
 * in all, answer included: anonymous clients cannot hold a connection here and one to InfluxDB for
 * as long as they like by trickling a body or reading slowly. Authenticated streams are never cut.
 */
export function forwardToInflux (
  ctx: RequestScope, deps: ForwardDeps, auth: Authentication, forwarding: ForwardLimits = NO_LIMITS
): Promise<void> {
  prepareUpstreamRequest(ctx.req, {
    cookieName: deps.cookie.name,
    authorization: auth.kind === 'token' ? auth.authorization : auth.kind === 'public' ? undefined : deps.credentials(auth.credential),
    client: ctx.state.client,
    requestId: ctx.state.reqId
  })
  const limits = auth.kind === 'public' ? { totalMs: deps.config.limits.publicRequestTimeout } : forwarding
  return deps.forwarder.forward(ctx.req, ctx.res, limits)
}

const NO_LIMITS: ForwardLimits = {}
