import type { AppDeps } from '../app-deps.ts'
import type { UpstreamCredential } from '../auth/access-rules.ts'
import type { Identity } from '../auth/identity.ts'
import { errors } from '../errors.ts'
import type { GatewayContext } from './request-context.ts'
import { isCrossSiteRequest } from './resource-isolation.ts'

type ProxyCredentialDeps = Pick<AppDeps, 'config' | 'access' | 'metrics'>

/**
 * The upstream credential for a request an auth proxy authenticated: the one place a proxy identity's
 * credential is decided. First resource isolation, as for the session cookie (the browser's sign-in at
 * the proxy rides along with any request another site makes it send): a cross-site request gets 403.
 * Then the access rules (a proxy identity never takes a file user's own credential, whatever its name):
 * none matching gets 403 `noAccess`, audited. `uiPage`: the target is a UI page, which a navigation from
 * elsewhere may open.
 */
export async function proxyCredential (
  ctx: GatewayContext, deps: ProxyCredentialDeps, identity: Identity, { uiPage }: { uiPage: boolean }
): Promise<UpstreamCredential> {
  // SECURITY: resource isolation, whatever the method.
  if (isCrossSiteRequest(ctx, { uiPage, allowedOrigins: deps.config.cors.origins })) {
    deps.metrics.proxyIdentity('cross_site')
    throw errors.crossSite()
  }
  const credential = deps.access.credentialFor(identity)
  if (credential === undefined) {
    deps.metrics.proxyIdentity('no_access')
    const { name: user, source, groups } = identity
    ctx.state.log.info({ audit: 'proxy', result: 'no access', user, source, groups }, 'auth proxy identity refused: no access rule matches')
    throw errors.noAccess()
  }
  deps.metrics.proxyIdentity('authenticated')
  ctx.state.user = identity.name
  return credential
}
