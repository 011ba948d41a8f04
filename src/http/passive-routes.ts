import type { AppDeps } from '../app-deps.ts'
import type { RequestScope } from './request-context.ts'

/**
 * Whether a request is on `session.passiveRoutes` (it does not renew the session), matched on the canonical
 * path; HEAD counts as the GET it mirrors. A forwarded request and one judged by forward auth alike.
 */
export function isPassive (scope: RequestScope, deps: Pick<AppDeps, 'config'>): boolean {
  const rules = deps.config.session.passiveRoutes
  const path = scope.state.canonicalPath
  return rules.includes(`${scope.method} ${path}`) || (scope.method === 'HEAD' && rules.includes(`GET ${path}`))
}
