import type { AppDeps } from '../app-deps.ts'
import type { ProxyIdentityReader } from '../auth/auth-proxy-identity.ts'
import { errors, GatewayError } from '../errors.ts'
import { isAuthProxyPeer } from './client-info.ts'
import type { RequestScope } from './request-context.ts'
import { audit } from '../observability/audit.ts'

type ReadProxyIdentityDeps = Pick<AppDeps, 'metrics'>

/**
 * The auth proxy's step of the pipeline (only with `authProxy:`): reads the identity headers, then removes
 * them from the request, whoever sent it, so nothing after this step (forwarding, InfluxDB) ever sees
 * them. They are believed only when the TCP peer is in `authProxy.trustedProxies`: then a user name makes
 * the request that identity's ({@link GatewayState.proxyIdentity}); a malformed one, or either header sent
 * on more than one line, gets 400. From any other peer they are spoofing (or a proxy missing from the
 * list): removed, logged and counted, and the request goes on as if they were never sent.
 */
export function readAuthProxyIdentity (ctx: RequestScope, reader: ProxyIdentityReader, deps: ReadProxyIdentityDeps): void {
  const headers = ctx.req.headers
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
    audit(ctx.state.log, 'proxyUntrusted', { peer })
    return
  }
  try {
    // Read as the lines that were sent (the joined values above are gone), each header once.
    const lines = ctx.req.headersDistinct
    const groups = reader.groupsHeader === undefined ? undefined : oneLine(lines[reader.groupsHeader], reader.groupsHeader)
    ctx.state.proxyIdentity = reader.read(oneLine(lines[reader.userHeader], reader.userHeader), groups)
  } catch (err) {
    if (err instanceof GatewayError) {
      deps.metrics.proxyIdentity('invalid')
      audit(ctx.state.log, 'proxyInvalid', { reason: err.message })
    }
    throw err
  }
}

/**
 * The one line of an identity header, or undefined when it was not sent.
 * @throws GatewayError `proxyIdentityInvalid` when it was sent more than once
 */
function oneLine (lines: string[] | undefined, header: string): string | undefined {
  // SECURITY: Node joins repeated lines with `, `: a client's line that a proxy appends to instead of
  // replacing would add a group (`ops`) or a name to the proxy's. Any repeat is refused, never merged.
  if (lines !== undefined && lines.length > 1) throw errors.proxyIdentityInvalid(`${header}: sent more than once`)
  return lines?.[0]
}
