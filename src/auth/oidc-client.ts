import * as oidc from 'openid-client'
import type { OidcConfig } from '../config/oidc-schema.ts'
import { errors, GatewayError } from '../errors.ts'
import { providerFailure } from './oidc-failure.ts'
import { createLogoutTokenVerifier, LogoutTokenRefused, type LogoutToken, type LogoutTokenVerifier } from './logout-token.ts'

/** The claims of a signed-in user: the ID token's, completed by userinfo when one of the mapped claims is missing. */
export type OidcClaims = Record<string, unknown>

/** What a new flow sends to the provider and must remember until the return. */
export interface OidcFlowStart {
  /** Where to send the browser. */
  url: URL
  state: string
  nonce: string
  verifier: string
}

/** What the return leg checks the provider's answer against. */
export interface OidcFlowChecks { state: string, nonce: string, verifier: string }

/** Options for {@link createOidcClient}. */
export interface OidcClientOptions {
  config: OidcConfig
  /** Told of each failed discovery (it is tried again at the next sign-in). */
  onDiscoveryFailure?: (err: unknown) => void
}

/** The relying party for one `oidc:` section: discovery, the redirect, the code exchange, logout. */
export interface OidcClient {
  /** Reads the provider's metadata now (start-up), without waiting for a sign-in; never rejects. */
  warmUp (): Promise<void>
  /** A new flow: state, nonce and PKCE verifier (S256), and the authorization URL carrying them. */
  begin (): Promise<OidcFlowStart>
  /**
   * Checks the provider's return (`callbackUrl`, as the browser requested it) against the flow: state,
   * then the code exchange with the PKCE verifier, then the ID token (signature by the provider's JWKS,
   * issuer, audience, expiry, nonce). Resolves to the user's claims; the provider's tokens go no further.
   * @throws GatewayError `ssoDenied` (the provider's own error), `ssoRefused` (an answer that fails a
   * check) or `ssoUnavailable` (the provider cannot be reached)
   */
  finish (callbackUrl: URL, checks: OidcFlowChecks): Promise<OidcClaims>
  /** The provider's logout URL (RP-initiated logout), or undefined when it advertises no `end_session_endpoint`. */
  logoutUrl (): Promise<URL | undefined>
  /**
   * Verifies a back-channel logout token at time `atMs` (src/auth/logout-token.ts), against the discovered
   * issuer and JWKS; its `jti` is not checked here.
   * @throws LogoutTokenRefused for a token that fails a check; GatewayError `ssoUnavailable` when the
   * provider (its metadata or keys) cannot be reached
   */
  verifyLogoutToken (token: string, atMs: number): Promise<LogoutToken>
}

/**
 * The relying party over `openid-client` (OpenID-certified; no JOSE here but the back-channel logout
 * tokens it does not verify, src/auth/logout-token.ts). The provider's metadata is discovered once and
 * kept; a failed discovery is not kept, so the next sign-in tries again (a provider that was down at
 * start-up is found once it is up). Every request to the provider is bounded by `timeout`.
 */
export function createOidcClient ({ config, onDiscoveryFailure }: OidcClientOptions): OidcClient {
  let discovered: Promise<oidc.Configuration> | undefined
  const configuration = async (): Promise<oidc.Configuration> => {
    discovered ??= discover(config).catch((err: unknown) => {
      discovered = undefined
      onDiscoveryFailure?.(err)
      throw err instanceof GatewayError ? err : errors.ssoUnavailable(err)
    })
    return await discovered
  }
  const verifyLogout = createLogoutTokenVerifier({
    clientId: config.clientId, maxAgeMs: config.logoutTokenMaxAge, timeoutMs: config.timeout
  })
  return {
    async warmUp () {
      await configuration().catch(() => {})
    },
    async begin () {
      const rp = await configuration()
      const verifier = oidc.randomPKCECodeVerifier()
      const state = oidc.randomState()
      const nonce = oidc.randomNonce()
      const url = oidc.buildAuthorizationUrl(rp, {
        redirect_uri: config.redirectUrl,
        scope: config.scopes.join(' '),
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce
      })
      return { url, state, nonce, verifier }
    },
    async finish (callbackUrl, checks) {
      const rp = await configuration()
      try {
        const tokens = await oidc.authorizationCodeGrant(rp, callbackUrl, {
          expectedState: checks.state, expectedNonce: checks.nonce, pkceCodeVerifier: checks.verifier, idTokenExpected: true
        })
        const claims: OidcClaims = { ...tokens.claims() }
        if (claims[config.usernameClaim] !== undefined && claims[config.groupsClaim] !== undefined) return claims
        if (rp.serverMetadata().userinfo_endpoint === undefined) return claims
        const info = await oidc.fetchUserInfo(rp, tokens.access_token, String(claims.sub))
        return { ...info, ...claims }
      } catch (err) {
        throw providerFailure(err)
      }
    },
    async logoutUrl () {
      const rp = await configuration()
      if (rp.serverMetadata().end_session_endpoint === undefined) return undefined
      const after = config.postLogoutRedirectUrl
      const params = { client_id: config.clientId, ...(after === undefined ? {} : { post_logout_redirect_uri: after }) }
      return oidc.buildEndSessionUrl(rp, params)
    },
    verifyLogoutToken: async (token, atMs) => await verifyAgainst(await configuration(), config, verifyLogout, token, atMs)
  }
}

/** A logout token verified against the discovered issuer and JWKS; the keys unreachable are the provider unavailable. */
async function verifyAgainst (
  rp: oidc.Configuration, config: Pick<OidcConfig, 'allowHttpIssuer'>, verify: LogoutTokenVerifier, token: string, atMs: number
): Promise<LogoutToken> {
  const meta = rp.serverMetadata()
  if (meta.jwks_uri === undefined) throw errors.ssoUnavailable(new Error('the provider publishes no jwks_uri'))
  // SECURITY: keys fetched in clear could be swapped on the way, and any logout token forged with them;
  // jose fetches them here, not openid-client, so its refusal of http:// endpoints is repeated.
  if (new URL(meta.jwks_uri).protocol !== 'https:' && !config.allowHttpIssuer) {
    throw errors.ssoUnavailable(new Error('http:// jwks_uri refused'))
  }
  const issuer = { issuer: meta.issuer, jwksUri: meta.jwks_uri, algorithms: meta.id_token_signing_alg_values_supported }
  return await verify(issuer, token, atMs).catch((err: unknown) => {
    throw err instanceof LogoutTokenRefused ? err : errors.ssoUnavailable(err)
  })
}

/** Discovery, refusing an `http://` issuer unless the configuration allows it on purpose. */
async function discover (config: OidcConfig): Promise<oidc.Configuration> {
  const issuer = new URL(config.issuer)
  // SECURITY: over http:// the client secret and the tokens cross the network in clear; the config check
  // refuses it too, this holds whatever built the configuration.
  if (issuer.protocol !== 'https:' && !config.allowHttpIssuer) throw errors.ssoUnavailable(new Error('http:// issuer refused'))
  const auth = config.clientSecret === undefined ? oidc.None() : oidc.ClientSecretBasic(config.clientSecret)
  // SECURITY: the ID token's signature is checked against the provider's JWKS even though it comes
  // straight from the token endpoint (openid-client would let TLS vouch for it): a token endpoint reached
  // over plain http:// or through an intercepting proxy cannot hand over a forged identity.
  const execute = [oidc.enableNonRepudiationChecks, ...(config.allowHttpIssuer ? [oidc.allowInsecureRequests] : [])]
  return await oidc.discovery(issuer, config.clientId, undefined, auth, { timeout: config.timeout / 1000, execute })
}
