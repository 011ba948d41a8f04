import type { AppDeps } from '../app-deps.ts'
import { errors } from '../errors.ts'
import type { RequestScope } from './request-context.ts'

/**
 * InfluxDB routes the gateway refuses whatever the credentials, matched on the canonical path:
 * onboarding (`POST /api/v2/setup…`, unless `upstream.allowSetup`) would create an InfluxDB user the
 * gateway does not know; `PUT /api/v2/me/password` cannot work because passwords live in our config;
 * InfluxDB 3's admin token is never created or regenerated through the gateway (whatever the version: a
 * path no other InfluxDB serves).
 */
export function upstreamPolicy (ctx: RequestScope, deps: Pick<AppDeps, 'config'>): void {
  const path = ctx.state.canonicalPath
  if (ctx.method === 'POST' && (path === '/api/v2/setup' || path.startsWith('/api/v2/setup/')) && !deps.config.upstream.allowSetup) {
    throw errors.setupRefused()
  }
  if (ctx.method === 'PUT' && path === '/api/v2/me/password') throw errors.passwordChangeRefused()
  // SECURITY: InfluxDB 3 creates its first admin token for anyone who asks (no authentication), and replaces
  // the operator's on `regenerate`: through the gateway, anyone signed in (or no one) would own InfluxDB.
  if (ctx.method === 'POST' && (path === '/api/v3/configure/token/admin' || path === '/api/v3/configure/token/admin/regenerate')) {
    throw errors.adminTokenRefused()
  }
}
