import { createRemoteJWKSet, errors as jose, jwtVerify, type JWTPayload } from 'jose'

/** The event a logout token must carry (OpenID Connect Back-Channel Logout 1.0, section 2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout'

/** What a verified logout token says: whose sessions end (`sid` and/or `sub`), and its id and issuer. */
export interface LogoutToken {
  iss: string
  jti: string
  sub?: string
  sid?: string
}

/** The provider's metadata a logout token is checked against (as discovery found it). */
export interface LogoutTokenIssuer {
  issuer: string
  jwksUri: string
  /** `id_token_signing_alg_values_supported`: logout tokens are signed as ID tokens are. */
  algorithms: readonly string[] | undefined
}

/** Options for {@link createLogoutTokenVerifier}. */
export interface LogoutTokenVerifierOptions {
  clientId: string
  /** How old (`iat`) a token may be, ms (`oidc.logoutTokenMaxAge`). */
  maxAgeMs: number
  /** Longest wait for the provider's keys, ms (`oidc.timeout`). */
  timeoutMs: number
}

/** A logout token that fails a check: the reason is safe to show and to log (never the token). */
export class LogoutTokenRefused extends Error {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'LogoutTokenRefused'
  }
}

/** Leeway for the provider's clock against the gateway's, seconds (an `iat` this far ahead is accepted). */
export const CLOCK_SKEW_S = 30
/** Longest `sid` or `sub` taken from a token (OpenID Connect does not bound them; 255 ASCII is `sub`'s rule). */
const MAX_ID = 255

/** Checks a logout token as the spec requires, its `jti` excepted: that is the caller's (the store's). */
export type LogoutTokenVerifier = (issuer: LogoutTokenIssuer, token: string, atMs: number) => Promise<LogoutToken>

/**
 * Logout tokens verified with `jose` (openid-client, which discovers the provider, has no back-channel
 * logout; `jose` is what it uses underneath): the signature by a key of the provider's JWKS (fetched and
 * cached per `jwks_uri`), with one of the algorithms it advertises for ID tokens, never `none`; `iss`;
 * `aud` containing the client id; `iat` within `maxAgeMs`; then the claims of section 2.6.
 * @throws LogoutTokenRefused for a token that fails a check; other errors when the keys cannot be fetched
 */
export function createLogoutTokenVerifier (opts: LogoutTokenVerifierOptions): LogoutTokenVerifier {
  const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>()
  const keysOf = (uri: string): ReturnType<typeof createRemoteJWKSet> => {
    let set = keySets.get(uri)
    if (set === undefined) keySets.set(uri, set = createRemoteJWKSet(new URL(uri), { timeoutDuration: opts.timeoutMs }))
    return set
  }
  return async (issuer, token, atMs) => {
    // SECURITY: only what the provider signs ID tokens with; `none` never (an unsigned token is anyone's).
    const algorithms = (issuer.algorithms ?? ['RS256']).filter((alg) => alg !== 'none')
    const verified = await jwtVerify(token, keysOf(issuer.jwksUri), {
      issuer: issuer.issuer,
      audience: opts.clientId,
      algorithms,
      // SECURITY: a captured token replayed later is refused by its age, and the jti register needs to remember it only this long.
      maxTokenAge: Math.floor(opts.maxAgeMs / 1000),
      clockTolerance: CLOCK_SKEW_S,
      currentDate: new Date(atMs),
      requiredClaims: ['iat', 'jti']
    }).catch((err: unknown) => { throw refusal(err) })
    return logoutClaims(verified.payload, issuer.issuer)
  }
}

/** The claims of section 2.4 that jose does not check, as a {@link LogoutToken}. */
function logoutClaims (payload: JWTPayload, iss: string): LogoutToken {
  const events = payload.events
  const event = typeof events === 'object' && events !== null && !Array.isArray(events)
    ? (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT]
    : undefined
  // SECURITY: the event marks a logout token: an ID token (same keys, same audience) is not one.
  if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new LogoutTokenRefused('no back-channel logout event')
  // SECURITY: a nonce makes it an ID token (section 2.4 forbids one here): refused so one cannot pass for the other.
  if ('nonce' in payload) throw new LogoutTokenRefused('a logout token carries no nonce')
  const sid = payload.sid
  const { sub, jti } = payload
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_ID) throw new LogoutTokenRefused('no usable jti')
  if (sid !== undefined && (typeof sid !== 'string' || sid === '' || sid.length > MAX_ID)) throw new LogoutTokenRefused('unusable sid')
  if (sub !== undefined && (typeof sub !== 'string' || sub === '' || sub.length > MAX_ID)) throw new LogoutTokenRefused('unusable sub')
  if (sid === undefined && sub === undefined) throw new LogoutTokenRefused('neither sid nor sub')
  return { iss, jti, ...(sub === undefined ? {} : { sub }), ...(sid === undefined ? {} : { sid }) }
}

/** A jose verification failure as a refusal; a failure to fetch the keys stays what it is (the provider is unreachable). */
function refusal (err: unknown): unknown {
  if (err instanceof jose.JWKSTimeout || err instanceof jose.JWKSInvalid) return err
  // jose's messages are constant phrases (which check, never a value of the token).
  if (err instanceof jose.JOSEError) return new LogoutTokenRefused(`logout token refused: ${err.message}`, { cause: err })
  return err
}
