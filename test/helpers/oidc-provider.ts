import { generateKeyPairSync, type JsonWebKey } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestContext } from 'node:test'
import Provider from 'oidc-provider'
import { recordSecret } from './secret-ledger.ts'

/** A test account: its id is what is typed at the provider's login form, and its `preferred_username`. */
export interface TestAccount { groups?: string[], email?: string }

/** Options for {@link startOidcProvider}. */
export interface OidcProviderOptions {
  /** The gateway's callback URL (registered as the client's redirect URI). */
  redirectUrl: string
  /** Where the provider may send the browser after logout. */
  postLogoutRedirectUrl?: string
  accounts?: Record<string, TestAccount>
  /** Port to listen on (default: a free one); a restarted provider keeps its issuer this way. */
  port?: number
  /**
   * `true`: the profile and groups claims go into the userinfo answer only, not the ID token (what
   * certified providers do when an access token is issued, `conformIdTokenClaims`).
   */
  claimsInUserinfoOnly?: boolean
  /** Serve this JWKS instead of the provider's own (a key the tokens are not signed with). */
  jwksOverride?: { keys: JsonWebKey[] }
  /** RP-initiated logout (`end_session_endpoint`); default on. */
  logout?: boolean
  /**
   * Rewrites the ID token in the token endpoint's answer, as a man in the middle on the token request
   * would (a token endpoint reached over plain HTTP, or through an intercepting proxy).
   */
  idTokenInTransit?: (idToken: string) => string
  /**
   * Back-channel logout: the provider's `features.backchannelLogout` on, and this URL registered as the
   * client's `backchannel_logout_uri` (with `backchannel_logout_session_required`, so tokens carry `sid`).
   */
  backchannelLogoutUri?: string
}

/** A running provider. */
export interface TestOidcProvider {
  issuer: string
  port: number
  clientId: string
  clientSecret: string
  /** The provider's signing key, private half included: a test forges tokens it could have signed. */
  signingKey: JsonWebKey
  stop (): Promise<void>
}

/** The accounts every test knows: alice (group `influx-readers`), bob (no groups). */
export const OIDC_ACCOUNTS: Record<string, TestAccount> = {
  alice: { groups: ['influx-readers', 'staff'], email: 'alice@example.org' },
  bob: { groups: [] }
}

/** An RSA signing key as a private JWK, with a `kid`. */
export function signingKey (kid: string): JsonWebKey {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' }
}

/** The public half of a private JWK. */
export function publicJwk ({ kty, n, e, kid, use, alg }: JsonWebKey): JsonWebKey {
  return { kty, n, e, kid, use, alg }
}

/**
 * A real, OpenID-certified provider (`oidc-provider` 8) on 127.0.0.1 with one confidential client for the
 * gateway (client_secret_basic, PKCE required), the given accounts (claims `preferred_username`, `email`,
 * `groups`) and its development login form (any password). Consent is granted without asking. Closed in
 * `t.after` (a test's context, or anything with an `after`: `npm run demo` passes its own).
 */
export async function startOidcProvider (t: Pick<TestContext, 'after'>, opts: OidcProviderOptions): Promise<TestOidcProvider> {
  const accounts = opts.accounts ?? OIDC_ACCOUNTS
  const clientId = 'influx-gateway'
  const clientSecret = 'oidc-client-secret-0123456789abcdef'
  recordSecret(clientSecret, 'client-secret')
  const server = http.createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  const issuer = `http://127.0.0.1:${port}`
  const key = signingKey('test-key')
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [opts.redirectUrl],
      post_logout_redirect_uris: opts.postLogoutRedirectUrl === undefined ? [] : [opts.postLogoutRedirectUrl],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
      ...(opts.backchannelLogoutUri === undefined
        ? {}
        : { backchannel_logout_uri: opts.backchannelLogoutUri, backchannel_logout_session_required: true })
    }],
    jwks: { keys: [key] },
    cookies: { keys: ['test-provider-cookie-key'] },
    claims: { openid: ['sub'], profile: ['preferred_username', 'name'], email: ['email'], groups: ['groups'] },
    conformIdTokenClaims: opts.claimsInUserinfoOnly === true,
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: opts.logout !== false },
      backchannelLogout: { enabled: opts.backchannelLogoutUri !== undefined }
    },
    pkce: { required: () => true },
    // Set, so the provider does not print a notice for each default; codes live one minute, as by default.
    ttl: { AuthorizationCode: 60, Interaction: 600, Grant: 3600, Session: 3600, AccessToken: 600, IdToken: 600 },
    findAccount: (_ctx: unknown, id: string) => {
      const account = accounts[id]
      if (account === undefined) return undefined
      return {
        accountId: id,
        claims: () => ({ sub: id, preferred_username: id, name: id, ...(account.email === undefined ? {} : { email: account.email }), ...(account.groups === undefined ? {} : { groups: account.groups }) })
      }
    },
    loadExistingGrant: grantEverything
  })
  const handle = provider.callback()
  server.on('request', (req, res) => {
    if (opts.jwksOverride !== undefined && req.url === '/jwks') {
      res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify(opts.jwksOverride))
      return
    }
    if (opts.idTokenInTransit !== undefined && req.method === 'POST' && req.url === '/token') rewriteIdToken(res, opts.idTokenInTransit)
    handle(req, res)
  })
  let stopped = false
  const stop = async (): Promise<void> => {
    if (stopped) return
    stopped = true
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  t.after(stop)
  return { issuer, port, clientId, clientSecret, signingKey: key, stop }
}

interface GrantContext {
  oidc: {
    result?: { consent?: { grantId?: string } }
    session: { accountId: string, grantIdFor: (clientId: string) => string | undefined }
    client: { clientId: string }
    provider: { Grant: { find: (id: string) => Promise<unknown> } & (new (init: Record<string, string>) => GrantLike) }
  }
}
interface GrantLike { addOIDCScope: (scope: string) => void, addOIDCClaims: (claims: string[]) => void, save: () => Promise<string> }

/** The consent step, skipped: every scope and claim the test client asks for is granted. */
async function grantEverything (ctx: GrantContext): Promise<unknown> {
  const existing = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId)
  if (existing !== undefined) return await ctx.oidc.provider.Grant.find(existing)
  const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId })
  grant.addOIDCScope('openid profile email groups')
  grant.addOIDCClaims(['preferred_username', 'name', 'email', 'groups'])
  await grant.save()
  return grant
}

/** Makes `res` send its JSON body with `id_token` rewritten (the length adjusted; nothing is sent before the end). */
function rewriteIdToken (res: http.ServerResponse, rewrite: (idToken: string) => string): void {
  const end = res.end.bind(res) as (chunk?: unknown) => http.ServerResponse
  res.end = ((chunk?: unknown) => {
    const text = typeof chunk === 'string' || Buffer.isBuffer(chunk) ? String(chunk) : undefined
    const body = text === undefined ? undefined : JSON.parse(text) as { id_token?: unknown }
    if (typeof body?.id_token !== 'string') return end(chunk)
    const rewritten = JSON.stringify({ ...body, id_token: rewrite(body.id_token) })
    res.setHeader('content-length', Buffer.byteLength(rewritten))
    return end(rewritten)
  }) as typeof res.end
}
