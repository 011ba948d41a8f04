import type { AppDeps } from '../app-deps.ts'
import type { ProxyIdentityReader } from '../auth/proxy-identity.ts'
import { GatewayError } from '../errors.ts'
import { isAuthProxyPeer } from './client-info.ts'
import type { RequestScope } from './request-context.ts'

type ReadProxyIdentityDeps = Pick<AppDeps, 'metrics'>

/**
 * The auth proxy's step of the pipeline (only with `authProxy:`): reads the identity headers, then removes
 * them from the request, whoever sent it, so nothing after this step (forwarding, InfluxDB) ever sees
 * them. They are believed only when the TCP peer is in `authProxy.trustedProxies`: then a user name makes
 * the request that identity's ({@link GatewayState.proxyIdentity}); a malformed one gets 400. From any
 * other peer they are spoofing (or a proxy missing from the list): removed, logged and counted, and the
 * request goes on as if they were never sent.
 */
export function readProxyIdentity (ctx: RequestScope, reader: ProxyIdentityReader, deps: ReadProxyIdentityDeps): void {
  const headers = ctx.req.headers
  const user = headers[reader.userHeader] as string | undefined
  const groups = reader.groupsHeader === undefined ? undefined : headers[reader.groupsHeader] as string | undefined
  let sent = false
  // SECURITY: every spelling, from every peer, trusted or not: never forwarded (set undefined, which the
  // engine never sends: a delete turns the object into a slow dictionary).
  for (const name of reader.headerNames) {
    if (headers[name] === undefined) continue
    sent = true
    headers[name] = undefined
  }
  if (!sent) return
  // SECURITY: the TCP peer, never X-Forwarded-For: a client can write any address there.
  if (!isAuthProxyPeer(ctx.req, reader.trustedProxies)) {
    deps.metrics.proxyIdentity('untrusted')
    const peer = ctx.req.socket.remoteAddress
    ctx.state.log.warn({ audit: 'proxy', result: 'untrusted', peer }, 'auth proxy headers from an untrusted peer removed')
    return
  }
  try {
    ctx.state.proxyIdentity = reader.read(user, groups)
  } catch (err) {
    if (err instanceof GatewayError) {
      deps.metrics.proxyIdentity('invalid')
      ctx.state.log.warn({ audit: 'proxy', result: 'invalid', reason: err.message }, 'auth proxy identity refused')
    }
    throw err
  }
}
