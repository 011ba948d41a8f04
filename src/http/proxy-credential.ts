import type { AppDeps } from '../app-deps.ts'
import type { UpstreamCredential } from '../auth/access-rules.ts'
import type { Identity } from '../auth/identity.ts'
import { errors, GatewayError } from '../errors.ts'
import type { RequestScope } from './request-context.ts'
import { isCrossSiteRequest } from './resource-isolation.ts'

type ProxyCredentialDeps = Pick<AppDeps, 'config' | 'access' | 'metrics' | 'implicitSessions'>

/**
 * The upstream credential for a request an auth proxy authenticated: the one place a proxy identity's
 * credential is decided. First resource isolation, as for the session cookie (the browser's sign-in at
 * the proxy rides along with any request another site makes it send): a cross-site request gets 403.
 * Then the access rules (a proxy identity never takes a file user's own credential, whatever its name):
 * none matching gets 403 `noAccess`, audited. A `mint` credential is the token of the identity's implicit
 * session on this replica (started, and the token minted, at its first request; renewed unless `renew` is
 * false): 503/403 as at sign-in when InfluxDB cannot or will not mint it. Any other credential needs no
 * store. `uiPage`: the target is a UI page, which a navigation from elsewhere may open.
 */
export async function proxyCredential (
  ctx: RequestScope, deps: ProxyCredentialDeps, identity: Identity, { uiPage, renew = true }: { uiPage: boolean, renew?: boolean }
): Promise<UpstreamCredential> {
  // SECURITY: resource isolation, whatever the method.
  if (isCrossSiteRequest(ctx, { uiPage, allowedOrigins: deps.config.cors.origins })) {
    deps.metrics.proxyIdentity('cross_site')
    throw errors.crossSite()
  }
  const credential = deps.access.credentialFor(identity)
  if (credential?.mint === undefined) deps.implicitSessions.release(identity, () => ctx.state.log)
  if (credential === undefined) {
    deps.metrics.proxyIdentity('no_access')
    const { name: user, source, groups } = identity
    ctx.state.log.info({ audit: 'proxy', result: 'no access', user, source, groups }, 'auth proxy identity refused: no access rule matches')
    throw errors.noAccess()
  }
  ctx.state.user = identity.name
  if (credential.mint === undefined) {
    deps.metrics.proxyIdentity('authenticated')
    return credential
  }
  try {
    const minted = await deps.implicitSessions.credential(identity, credential.mint, { renew, log: ctx.state.log })
    deps.metrics.proxyIdentity('authenticated')
    return minted
  } catch (err) {
    if (err instanceof GatewayError && (err.kind === 'mintUnavailable' || err.kind === 'mintRefused')) {
      deps.metrics.proxyIdentity(err.kind === 'mintRefused' ? 'mint_refused' : 'mint_unavailable')
    }
    throw err
  }
}
