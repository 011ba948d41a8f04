import { endProviderSessions } from '../access/session-lifecycle.ts'
import type { AppDeps } from '../app-deps.ts'
import { CLOCK_SKEW_S, LogoutTokenRefused, type LogoutToken } from '../auth/logout-token.ts'
import { errors, GatewayError } from '../errors.ts'
import { audit } from '../observability/audit.ts'
import type { ProviderLogout } from '../session/session-store.ts'
import { drainLimitedBody, readLimitedBody } from './drain-limited-body.ts'
import type { GatewayContext } from './request-context.ts'

type BackchannelDeps = Pick<AppDeps, 'config' | 'oidc' | 'sessions' | 'usedTokenIds' | 'metrics' | 'now'>

/**
 * Largest request body taken: a form holding one logout token (a signed JWT of a few claims, about 1 KB;
 * a provider signing with a large RSA key or adding claims stays far below).
 */
const MAX_BODY_BYTES = 16_384

/** Whether a canonical path is back-channel logout's, `<gatewayPrefix>/oidc/backchannel-logout`. */
export function isBackchannelLogoutPath (path: string, prefix: string): boolean {
  return path === `${prefix}/oidc/backchannel-logout`
}

/**
 * `POST <gatewayPrefix>/oidc/backchannel-logout` (OpenID Connect Back-Channel Logout 1.0): the identity
 * provider, server to server, sends a form with a `logout_token`; once it passes every check
 * (src/auth/logout-token.ts) and its `jti` is used the first time on any replica, every session of that
 * provider session (`sid`) or subject (`sub` alone) ends through the session lifecycle. 200 when it
 * passed, whether or not a session was live here; 400 `invalid_request` otherwise, ending nothing.
 * Never cached. No cookie is read: no browser calls it, so no resource isolation applies. Without
 * `oidc:` it is 404.
 */
export async function backchannelLogout (ctx: GatewayContext, deps: BackchannelDeps): Promise<void> {
  ctx.state.route = 'backchannel'
  const { oidc } = deps
  const config = deps.config.oidc
  if (oidc === undefined || config === undefined) throw errors.notFound()
  if (ctx.method !== 'POST') throw errors.methodNotAllowed('POST')
  const token = await readLogoutToken(ctx, deps)
  const claims = await oidc.verifyLogoutToken(token, deps.now()).catch((err: unknown) => {
    throw err instanceof LogoutTokenRefused ? refused(ctx, err.message, err) : err
  })
  // Remembered as long as the token could pass the age check: its iat may be up to the skew ahead.
  const rememberMs = config.logoutTokenMaxAge + 2 * CLOCK_SKEW_S * 1000
  // SECURITY: replay. One use per jti across every replica sharing the store (SET NX): a captured logout
  // token sent again is refused, however valid its signature.
  if (!await deps.usedTokenIds.firstUse(claims.iss, claims.jti, rememberMs)) throw refused(ctx, 'logout token already used')
  const logout = providerLogout(claims)
  const ended = await endProviderSessions(deps, logout, ctx.state.log).catch(async (err: unknown) => {
    // Nothing was ended for sure: the provider's retry of this token must not be taken for a replay.
    await deps.usedTokenIds.forget(claims.iss, claims.jti).catch(() => {})
    throw err
  })
  const scope = logout.sid === undefined ? 'user' : 'one'
  audit(ctx.state.log, 'backchannelLogout', { source: 'oidc', scope, sessions: ended.length })
  deps.metrics.sessionsEnded('backchannel', scope, ended.length)
  ctx.set('Cache-Control', 'no-store')
  ctx.status = 200
  ctx.body = ''
}

/** The form's one `logout_token`, read within the body limits; a refusal when there is none. */
async function readLogoutToken (ctx: GatewayContext, deps: BackchannelDeps): Promise<string> {
  if (ctx.request.is('application/x-www-form-urlencoded') === false) {
    await drainLimitedBody(ctx.req, { limitBytes: MAX_BODY_BYTES, timeoutMs: deps.config.limits.signinBodyTimeout })
    throw refused(ctx, 'the body must be a form (application/x-www-form-urlencoded)')
  }
  // SECURITY: anyone can reach this route: a bounded body, read within a deadline, holds nothing.
  const body = await readLimitedBody(ctx.req, { limitBytes: MAX_BODY_BYTES, timeoutMs: deps.config.limits.signinBodyTimeout })
  const tokens = new URLSearchParams(body.toString('utf8')).getAll('logout_token')
  if (tokens.length !== 1 || tokens[0] === '') throw refused(ctx, 'the form must hold one logout_token')
  return tokens[0] as string
}

/** What the verified token names: its provider session (and subject, when given both), else its subject. */
function providerLogout ({ sub, sid }: LogoutToken): ProviderLogout {
  if (sid !== undefined) return sub === undefined ? { sid } : { sid, sub }
  return { sub: sub as string }
}

/** A refused request, audited with the check it failed (never the token); 400 `invalid_request`. */
function refused (ctx: GatewayContext, reason: string, cause?: unknown): GatewayError {
  audit(ctx.state.log, 'backchannelLogoutRefused', { source: 'oidc', reason, ip: ctx.state.client.ip })
  return errors.logoutTokenRefused(reason, cause)
}
