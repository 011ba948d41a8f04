import { MAX_USER_AGENT_CHARS, type SessionOrigin } from '../session/session-store.ts'
import type { RequestScope } from './request-context.ts'

/**
 * Where a sign-in came from, as its session keeps it: the client address (the peer, or what trusted
 * proxies say) and the `User-Agent`, control characters removed and cut to {@link MAX_USER_AGENT_CHARS}
 * (a client chooses it: it must not grow the store or the page without bound). Personal data: kept with
 * the session only, and gone when it ends.
 */
export function sessionOrigin (scope: Pick<RequestScope, 'state' | 'get'>): SessionOrigin {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
  const userAgent = scope.get('user-agent').replace(/[\u0000-\u001f\u007f]/g, '').slice(0, MAX_USER_AGENT_CHARS)
  return { address: scope.state.client.ip, ...(userAgent === '' ? {} : { userAgent }) }
}
