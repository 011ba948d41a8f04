import { z } from 'zod'
import { boolean, duration, integer, secret } from './schema-types.ts'

/** An absolute `http://` or `https://` URL without a fragment. */
const httpUrl = (what: string) => z.string().refine((text) => {
  try {
    const url = new URL(text)
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hash === '' && url.username === '' && url.password === ''
  } catch {
    return false
  }
}, `not a URL: write ${what}`).meta({ type: 'URL' })

/** A claim name (or a dotted path into nested claims, such as `realm_access.roles`). */
const claimName = z.string().min(1).max(200).meta({ type: 'claim' })

/**
 * Longest `logoutTokenMaxAge`: the provider sends a logout token the moment its session ends; a token
 * accepted for longer is one a thief of it may use for longer, and its `jti` must be remembered as long.
 */
const MAX_LOGOUT_TOKEN_AGE_MS = 3_600_000

/** The `oidc:` section: sign-in at an OpenID Connect provider (authorization code flow with PKCE). */
export const oidcSchema = z.object({
  issuer: httpUrl('https://idp.example.org/realms/main')
    .describe('The provider\'s issuer URL; its metadata is read from `<issuer>/.well-known/openid-configuration`. ' +
      'Must be `https://` unless `allowHttpIssuer: true`.'),
  clientId: z.string().min(1).describe('The client id registered at the provider for the gateway.'),
  clientSecret: secret.optional()
    .describe('The client\'s secret (a confidential client, sent with HTTP Basic); without it the gateway is a public client ' +
      '(PKCE only).'),
  redirectUrl: httpUrl('https://influx.example.org/gateway/oidc/callback')
    .describe('The callback URL registered at the provider: this gateway\'s `<gatewayPrefix>/oidc/callback` as browsers reach it.'),
  scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'not a scope')).min(1).default(['openid', 'profile', 'email'])
    .describe('Scopes asked for; must include `openid`. Add the one that puts groups into the ID token (`groups` at many providers).'),
  usernameClaim: claimName.default('preferred_username')
    .describe('The claim (ID token, else userinfo) that is the user name in logs, sessions and `/gateway/session`.'),
  groupsClaim: claimName.default('groups')
    .describe('The claim holding the user\'s groups (a list, or one string), matched by `access:` rules; ' +
      'a dotted path reaches nested claims (`realm_access.roles`).'),
  uiSignin: boolean.default(false)
    .describe('The InfluxDB UI\'s pages opened without a session (its `/signin` page too) go to the provider and come back ' +
      'where they were. `POST /api/v2/signin` keeps working for file and directory users.'),
  allowHttpIssuer: boolean.default(false)
    .describe('Accept an `http://` issuer (tokens and the client secret in clear): only for a provider on loopback ' +
      'or a private network.'),
  postLogoutRedirectUrl: httpUrl('https://influx.example.org/').optional()
    .describe('Where the provider sends the browser after `<gatewayPrefix>/oidc/logout` (registered at the provider as a ' +
      'post-logout redirect URI); without it the provider shows its own page. A provider without a logout endpoint: the gateway ' +
      'sends the browser there itself (else to `/`).'),
  flowTimeout: duration('10m', { min: '30s' })
    .describe('How long a sign-in at the provider may take, from the redirect there to the return; later returns are refused.'),
  maxPendingFlowsPerClient: integer(1, 10_000).default(20)
    .describe('Most sign-ins at the provider one client address (IPv6: its /64; behind `server.trustProxy`, the address the proxy ' +
      'names) may have started and not finished within `flowTimeout`; past it that address gets a 429 page, everyone else still ' +
      'signs in.'),
  timeout: duration('5s', { min: '100ms' })
    .describe('Longest wait for one answer of the provider (metadata, keys, tokens); then the sign-in gets 503.'),
  logoutTokenMaxAge: duration('2m', { min: '10s' })
    .describe('Back-channel logout (`POST <gatewayPrefix>/oidc/backchannel-logout`): how old a logout token may be, by its `iat`; ' +
      'older ones are refused (400), and each token\'s `jti` is remembered this long so it is used once. At most 1h.')
}).strict().superRefine((oidc, ctx) => {
  if (Array.isArray(oidc.scopes) && !oidc.scopes.includes('openid')) {
    ctx.addIssue({ code: 'custom', path: ['scopes'], message: 'must include openid' })
  }
  if (typeof oidc.issuer === 'string' && oidc.issuer.startsWith('http://') && oidc.allowHttpIssuer !== true) {
    const message = 'an http:// issuer sends tokens and the client secret in clear: use https://, or set allowHttpIssuer: true ' +
      '(a provider on loopback or a private network)'
    ctx.addIssue({ code: 'custom', path: ['issuer'], message })
  }
  if (typeof oidc.logoutTokenMaxAge === 'number' && oidc.logoutTokenMaxAge > MAX_LOGOUT_TOKEN_AGE_MS) {
    const message = 'must be at most 1h (a logout token is meant to be used at once)'
    ctx.addIssue({ code: 'custom', path: ['logoutTokenMaxAge'], message })
  }
}, { when: () => true })

/** The validated `oidc:` section, durations in ms. */
export type OidcConfig = z.infer<typeof oidcSchema>
