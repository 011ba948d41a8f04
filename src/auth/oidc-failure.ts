import { AuthorizationResponseError, ResponseBodyError } from 'openid-client'
import { errors, GatewayError } from '../errors.ts'

/** Transport failures: the provider was not reached, or did not answer in time. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE'])
/** openid-client's codes for an answer that is not an OAuth answer at all (an error page, a proxy's 502). */
const NOT_AN_ANSWER = new Set(['OAUTH_RESPONSE_IS_NOT_CONFORM', 'OAUTH_RESPONSE_IS_NOT_JSON'])

/**
 * What a failure of the exchange with the provider means for the user: the provider's own error on the
 * return (`?error=`) is `ssoDenied`; the provider down, too slow or answering garbage is
 * `ssoUnavailable` (503); anything that fails a check (state, PKCE, an expired or replayed code, the ID
 * token's signature, issuer, audience, nonce or times) is `ssoRefused`. The message shown never carries
 * the provider's text; the cause (for the log) is openid-client's error, which holds no code or token.
 */
export function providerFailure (err: unknown): GatewayError {
  if (err instanceof GatewayError) return err
  if (err instanceof AuthorizationResponseError) return errors.ssoDenied(safeCode(err.error), err)
  if (isUnreachable(err)) return errors.ssoUnavailable(err)
  if (err instanceof ResponseBodyError) return errors.ssoRefused(`the identity provider refused the sign-in (${safeCode(err.error)})`, err)
  return errors.ssoRefused('the identity provider\'s answer failed verification', err)
}

/**
 * An OAuth error code fit to show (the one place that decides which of the provider's text may be shown):
 * the registered codes are lowercase words with underscores; anything else is `error`.
 */
function safeCode (code: unknown): string {
  return typeof code === 'string' && /^[a-z_]{1,64}$/.test(code) ? code : 'error'
}

function isUnreachable (err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const { name, message } = e
    const code = (e as { code?: unknown }).code
    if (name === 'TimeoutError' || name === 'AbortError') return true
    if (name === 'TypeError' && message === 'fetch failed') return true
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || NOT_AN_ANSWER.has(code))) return true
    if (e instanceof ResponseBodyError && e.status >= 500) return true
  }
  return false
}
