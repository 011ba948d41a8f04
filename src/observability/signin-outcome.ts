import { GatewayError } from '../errors.ts'
import type { SigninOutcome } from './metrics.ts'

/**
 * The metrics label of a refusal, by the error's kind: the one mapping of error kinds to outcome labels,
 * for sign-ins (with a password or at an identity provider) and for an auth-proxy identity's minted token.
 */
export function signinOutcome (err: unknown): SigninOutcome {
  if (!(err instanceof GatewayError)) return 'error'
  switch (err.kind) {
    case 'unauthorized': return 'failure'
    case 'userInactive': return 'disabled'
    case 'signinThrottled': return 'throttled'
    case 'signinBusy': case 'signinConcurrent': return 'busy'
    case 'crossSite': return 'cross_site'
    case 'bodyTooLarge': return 'too_large'
    case 'bodyTimeout': return 'body_timeout'
    case 'clientClosed': return 'aborted'
    case 'noAccess': return 'no_access'
    case 'directoryUnavailable': return 'directory_unavailable'
    case 'ssoDenied': return 'sso_denied'
    case 'ssoRefused': return 'sso_refused'
    case 'ssoUnavailable': return 'sso_unavailable'
    case 'mintUnavailable': return 'mint_unavailable'
    case 'mintRefused': return 'mint_refused'
    default: return 'error'
  }
}
