import type { AppDeps } from '../app-deps.ts'
import type { OidcClient } from '../auth/oidc-client.ts'
import { oidcIdentity, providerSessionOf } from '../auth/oidc-identity.ts'
import type { OidcConfig } from '../config/oidc-schema.ts'
import { escapeHtml } from '../error-response.ts'
import { errors, GatewayError, type ErrorKind } from '../errors.ts'
import type { GatewayContext } from './request-context.ts'
import { isCrossSiteRequest } from './resource-isolation.ts'
import { localReturnTo } from './return-to.ts'
import { clearedFlowCookie, flowCookie, flowIds, type FlowCookieScope } from './sign-in-flow-cookie.ts'
import { endCookieSessions, NEW_SIGN_IN } from './sign-in-routes.ts'
import { startSession } from './start-session.ts'
import { audit } from '../observability/audit.ts'
import { clearedCookie } from '../access/session-lifecycle.ts'
import { signinOutcome } from '../observability/signin-outcome.ts'

type SsoDeps = Pick<AppDeps,
  'config' | 'oidc' | 'signInFlows' | 'pendingFlows' | 'access' | 'sessions' | 'cookie' | 'metrics' | 'now' | 'minter'>
interface Configured { deps: SsoDeps, oidc: OidcClient, config: OidcConfig }

/** The single sign-on routes, below `server.gatewayPrefix`. */
const ROUTES: Record<string, (ctx: GatewayContext, c: Configured) => Promise<void>> = {
  '/oidc/login': login,
  '/oidc/callback': callback,
  '/oidc/logout': logout
}

/** Whether a canonical path is one of the single sign-on routes' (`<gatewayPrefix>/oidc/…`). */
export function isSsoPath (path: string, prefix: string): boolean {
  return path.startsWith(`${prefix}/oidc/`)
}

/**
 * `GET <prefix>/oidc/login?returnTo=/path` (to the provider), `GET <prefix>/oidc/callback` (back from it:
 * a session, then to `returnTo`) and `GET <prefix>/oidc/logout` (ends the session, then the provider's, if it has a logout).
 * A browser navigates to each: every refusal is an HTML page (route `sso`), never JSON, and is audited.
 * Without `oidc:` they are 404.
 */
export async function ssoRoutes (ctx: GatewayContext, deps: SsoDeps): Promise<void> {
  ctx.state.route = 'sso'
  const route = ROUTES[ctx.state.canonicalPath.slice(deps.config.server.gatewayPrefix.length)]
  const { oidc } = deps
  const config = deps.config.oidc
  if (route === undefined || oidc === undefined || config === undefined) throw errors.notFound()
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') throw errors.methodNotAllowed('GET, HEAD')
  ctx.set('Cache-Control', 'no-store')
  await route(ctx, { deps, oidc, config })
}

/**
 * Resource isolation for the sign-in flow: login and callback are reached by top-level navigations from
 * elsewhere by design (a link, the provider's redirect back), as UI pages are; a cross-site fetch or
 * subrequest is refused. Logout ends the session, so it is held to the sign-out rule (same origin only).
 */
function refuseCrossSite (ctx: GatewayContext, deps: SsoDeps, navigable: boolean): void {
  if (isCrossSiteRequest(ctx, { uiPage: navigable, allowedOrigins: deps.config.cors.origins })) throw errors.crossSite()
}

function scopeOf (ctx: GatewayContext, deps: SsoDeps): FlowCookieScope {
  return { path: `${deps.config.server.gatewayPrefix}/oidc/callback`, https: ctx.state.client.https }
}

function query (ctx: GatewayContext, name: string): string | undefined {
  const value = ctx.query[name]
  return typeof value === 'string' ? value : undefined
}

/** Starts a flow: state, nonce and PKCE verifier kept in the store, the browser bound by the flow cookie. */
async function login (ctx: GatewayContext, { deps, oidc, config }: Configured): Promise<void> {
  refuseCrossSite(ctx, deps, true)
  const asked = query(ctx, 'returnTo')
  const returnTo = localReturnTo(asked, deps.config.server.gatewayPrefix)
  if (asked !== undefined && returnTo === undefined) {
    audit(ctx.state.log, 'ssoReturnToRefused', { source: 'oidc' })
  }
  try {
    const start = await oidc.begin()
    const ip = ctx.state.client.ip
    // SECURITY: anyone may start a flow, each kept for `flowTimeout`, and the process keeps a bounded number:
    // one address looping over this route would take every place and lock everyone out of single sign-on.
    // Each address gets its own share; past it, that address alone is refused.
    const admission = await deps.pendingFlows.admit(ip, start.state, config.flowTimeout, config.maxPendingFlowsPerClient)
    if (!admission.admitted) throw errors.ssoFlowsPerClient(admission.retryAfterMs)
    const flow = { state: start.state, nonce: start.nonce, verifier: start.verifier, returnTo: returnTo ?? '/' }
    const id = await deps.signInFlows.put(flow, config.flowTimeout).catch(async (err: unknown) => {
      await deps.pendingFlows.release(ip, start.state).catch(() => {})
      throw err
    })
    ctx.set('Set-Cookie', flowCookie(start.state, id, config.flowTimeout, scopeOf(ctx, deps)))
    ctx.redirect(start.url.href)
  } catch (err) {
    if (err instanceof GatewayError && LOGIN_REFUSALS.has(err.kind)) refused(ctx, err)
    throw err
  }
}

/** Refusals of the login route that are audited (a flow never started is no sign-in attempt in the metrics). */
const LOGIN_REFUSALS = new Set<ErrorKind>(['ssoUnavailable', 'signinBusy', 'ssoFlowsPerClient'])

/** The provider's return: the flow is taken (once), checked, and a session started for the identity. */
async function callback (ctx: GatewayContext, { deps, oidc, config }: Configured): Promise<void> {
  refuseCrossSite(ctx, deps, true)
  const state = query(ctx, 'state')
  const scope = scopeOf(ctx, deps)
  try {
    if (state === undefined || state === '') throw flowRefused('no state')
    const id = flowIds(ctx, state, scope.https)[0]
    if (id === undefined) throw flowRefused('state not bound to this browser')
    const flow = await deps.signInFlows.take(id)
    if (flow === undefined) throw flowRefused('flow expired or already used')
    // No longer pending: its place is the address's again (a failed release leaves it counted until its end).
    await deps.pendingFlows.release(ctx.state.client.ip, flow.state).catch(() => {})
    // openid-client derives the redirect_uri sent with the code from this URL: the registered one, not
    // the address this request came in on (behind a proxy they differ).
    const returned = new URL(config.redirectUrl)
    returned.search = new URL(ctx.originalUrl, 'http://x').search
    const claims = await oidc.finish(returned, flow)
    const identity = oidcIdentity(claims, config)
    if (identity === undefined) {
      throw errors.ssoRefused(`the identity provider did not say who you are (no usable "${config.usernameClaim}" claim)`)
    }
    // A new session on every sign-in; one sent along is ended (no fixation).
    await endCookieSessions(ctx, deps, NEW_SIGN_IN)
    // The provider's sub and sid only, for back-channel logout: nothing else of its tokens is kept.
    await startSession(ctx, deps, identity, { provider: providerSessionOf(claims) })
    deps.metrics.signin('success')
    continueTo(ctx, flow.returnTo)
  } catch (err) {
    deps.metrics.signin(signinOutcome(err))
    if (err instanceof GatewayError && err.kind !== 'noAccess') refused(ctx, err)
    throw err
  } finally {
    if (state !== undefined && state !== '') ctx.append('Set-Cookie', clearedFlowCookie(state, scope))
  }
}

/**
 * Sends the signed-in browser on to `returnTo`. Coming back from a provider on another site, a redirect
 * would still count as that site's navigation, and a `SameSite=Strict` session cookie would stay behind
 * on the first page load (with `uiSignin`, a loop back to the provider): so a return that is not known
 * to come from this site gets a page that continues from here (same origin, the cookie rides along). That
 * includes one without fetch metadata: browsers send none to a plain-HTTP gateway on a host name, nor do
 * older ones. A return known to be from this site gets a 302.
 */
function continueTo (ctx: GatewayContext, returnTo: string): void {
  if (SAME_SITE.has(ctx.get('sec-fetch-site').toLowerCase())) {
    ctx.redirect(returnTo)
    return
  }
  const target = escapeHtml(returnTo)
  ctx.status = 200
  ctx.type = 'text/html; charset=utf-8'
  ctx.set('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'")
  // This page's address holds the code and state: the next page (and InfluxDB's access log) must not get them.
  ctx.set('Referrer-Policy', 'no-referrer')
  ctx.body = `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${target}">` +
    `<title>Signed in</title></head>\n<body><p>Signed in. <a href="${target}">Continue</a></p></body></html>\n`
}

/** `Sec-Fetch-Site` values of a navigation that a `SameSite=Strict` cookie comes along with. */
const SAME_SITE = new Set(['same-origin', 'same-site', 'none'])

/**
 * Ends the gateway session, then sends the browser to the provider's logout (RP-initiated logout), or,
 * when the provider advertises none, to `postLogoutRedirectUrl` (else `/`). The gateway session ends
 * first, whatever the provider: a person who asked to sign out is signed out here even when the
 * provider cannot be asked.
 */
async function logout (ctx: GatewayContext, { deps, oidc, config }: Configured): Promise<void> {
  refuseCrossSite(ctx, deps, false)
  ctx.set('Set-Cookie', clearedCookie(deps, ctx.state.client.https))
  const ended = await endCookieSessions(ctx, deps, { signedOut: true, provider: true })
  if (ended[0] !== undefined) ctx.state.user = ended[0].user
  const target = await oidc.logoutUrl().catch((err: unknown) => {
    // The session here has ended all the same: the page must not say that signing out failed.
    throw err instanceof GatewayError && err.kind === 'ssoUnavailable' ? errors.ssoLogoutIncomplete(err.cause) : err
  })
  ctx.redirect(target?.href ?? config.postLogoutRedirectUrl ?? '/')
}

/** A refusal of the flow itself (no state, another browser's, expired, replayed); the reason is for the log. */
function flowRefused (reason: string): GatewayError {
  return errors.ssoRefused('this sign-in is not valid here: it expired, was already used or was started in another browser; ' +
    'sign in again', new Error(reason))
}

/**
 * Audits a refused sign-in at the provider with its reason: the catalogue message, and for a failed check
 * openid-client's description and code, never the authorization code, the tokens or the provider's text.
 */
function refused (ctx: GatewayContext, err: GatewayError): void {
  const results: Partial<Record<string, string>> = {
    ssoDenied: 'denied', ssoUnavailable: 'unavailable', signinBusy: 'busy', ssoFlowsPerClient: 'throttled'
  }
  const result = results[err.kind] ?? 'failure'
  const cause = err.cause
  const code = cause instanceof Error ? (cause as { code?: unknown }).code : undefined
  const inner = cause instanceof Error && cause.cause instanceof Error ? `: ${cause.cause.message}` : ''
  const detail = cause instanceof Error && !(cause instanceof GatewayError) && err.kind !== 'ssoUnavailable'
    ? `${cause.message}${inner}${typeof code === 'string' ? ` (${code})` : ''}`.slice(0, 200)
    : undefined
  audit(ctx.state.log, 'ssoRefused', { result, source: 'oidc', reason: err.message, detail, ip: ctx.state.client.ip })
}
