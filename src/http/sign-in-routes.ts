import { parseBasicAuth } from '../auth/basic-auth.ts'
import { errors, GatewayError } from '../errors.ts'
import { signinOutcome } from '../observability/signin-outcome.ts'
import { readCookies } from '../session/session-cookie.ts'
import type { SigninAttempt, ThrottleSubjects } from '../session/signin-throttle.ts'
import type { Identity } from '../auth/identity.ts'
import { clearedCookie, endOwnerFor, endPresentedSessions, type Ending } from '../access/session-lifecycle.ts'
import type { AppDeps } from '../app-deps.ts'
import { drainLimitedBody, type BodyLimits } from './drain-limited-body.ts'
import type { GatewayContext } from './request-context.ts'
import { requestAccess } from './request-access.ts'
import { isCrossSiteRequest } from './resource-isolation.ts'
import { startSession } from './start-session.ts'
import { startSigninAttempt } from './start-signin-attempt.ts'
import { audit } from '../observability/audit.ts'

type SignInDeps = Pick<AppDeps,
'config' | 'users' | 'identities' | 'access' | 'sessions' | 'cookie' | 'metrics' | 'throttle' | 'now' | 'minter' | 'implicitSessions' |
'refresher'>

/** The paths of {@link signInRoutes}, canonical. */
export const SIGN_IN_PATHS: ReadonlySet<string> = new Set(['/api/v2/signin', '/api/v2/signout'])

/**
 * `POST /api/v2/signin` (Basic → 204 + session cookie) and `POST /api/v2/signout` (204, cookie
 * cleared), as InfluxDB answers them, for a request whose canonical path is in {@link SIGN_IN_PATHS};
 * any other method on these paths gets 405. For an identity a trusted auth proxy asserted, sign-in
 * answers 204 without a session (the proxy signs people in; Basic is not read) once the access rules
 * grant it a credential (minting its token, when its rule mints), and sign-out 204 even without a session
 * to end (the proxy's own session is the proxy's to end), ending the identity's implicit sessions on every
 * replica (their tokens deleted: the next request mints anew; another replica's cache believes one for at
 * most `session.redis.cacheTime`).
 */
export async function signInRoutes (ctx: GatewayContext, deps: SignInDeps): Promise<void> {
  const signingIn = ctx.state.canonicalPath === '/api/v2/signin'
  ctx.state.route = signingIn ? 'signin' : 'signout'
  if (ctx.method !== 'POST') throw errors.methodNotAllowed('POST')
  if (!signingIn) return await signOut(ctx, deps)
  try {
    await signIn(ctx, deps)
    deps.metrics.signin('success')
  } catch (err) {
    deps.metrics.signin(signinOutcome(err))
    throw err
  }
}

/** Sign-in and sign-out are API routes under the resource-isolation rule, with or without a cookie (login CSRF). */
function isCrossSite (ctx: GatewayContext, deps: SignInDeps): boolean {
  return isCrossSiteRequest(ctx, { uiPage: false, allowedOrigins: deps.config.cors.origins })
}

function bodyLimits (deps: SignInDeps): BodyLimits {
  return { limitBytes: deps.config.limits.maxSigninBodyBytes, timeoutMs: deps.config.limits.signinBodyTimeout }
}

async function signIn (ctx: GatewayContext, deps: SignInDeps): Promise<void> {
  await drainLimitedBody(ctx.req, bodyLimits(deps))
  // SECURITY: CSRF. A foreign page must not even end the user's session by posting here.
  if (isCrossSite(ctx, deps)) throw errors.crossSite()
  const proxied = ctx.state.proxyIdentity
  if (proxied !== undefined) return await proxySignIn(ctx, deps, proxied)
  // A new session on every sign-in; one sent along is ended, whatever the outcome (no fixation).
  await endCookieSessions(ctx, deps, NEW_SIGN_IN)
  const { identity, stamp } = await authenticate(ctx, deps)
  await startSession(ctx, deps, identity, { stamp })
  ctx.status = 204
}

/** Sign-in of an identity the auth proxy asserted: 204 once a rule grants it a credential, no session, Basic unread. */
async function proxySignIn (ctx: GatewayContext, deps: SignInDeps, identity: Identity): Promise<void> {
  await requestAccess(ctx, deps, { route: SIGN_IN_ROUTE, uiPage: false, renew: true })
  const { name: user, source } = identity
  audit(ctx.state.log, 'proxySignedIn', { user, source })
  ctx.set('Cache-Control', 'no-store')
  ctx.status = 204
}

/** Why the sessions a sign-in's cookies carry end. */
export const NEW_SIGN_IN: Ending = { reason: 'new sign-in' }

/** Sign-in and sign-out take no client token and are never public. */
const SIGN_IN_ROUTE = { group: 'api', public: false, sessionOnly: true } as const

/**
 * Checks the Basic credentials against the identity sources (file users, then the directory), under the
 * failed-sign-in throttle: the attempt holds a throttle slot until it is settled as a failure, a success, or
 * neither (a disabled user, a directory that did not answer, any error).
 */
async function authenticate (ctx: GatewayContext, deps: SignInDeps): Promise<{ identity: Identity, stamp?: string }> {
  const creds = parseBasicAuth(ctx.get('authorization') || undefined)
  const subjects: ThrottleSubjects = { user: creds?.username, ip: ctx.state.client.ip }
  // SECURITY: a name that is not a user is never logged: users type passwords into the name field.
  const loggable = creds !== undefined && deps.users.find(creds.username) !== undefined ? creds.username : undefined
  const attempt = await startSigninAttempt(ctx, deps.throttle, subjects, loggable)
  try {
    return await checkCredentials(ctx, deps, creds, { subjects, attempt })
  } finally {
    await attempt.release()
  }
}

/** The attempt {@link authenticate} started, settled by {@link checkCredentials}. */
interface Counted { subjects: ThrottleSubjects, attempt: SigninAttempt }

async function checkCredentials (
  ctx: GatewayContext, deps: SignInDeps, creds: ReturnType<typeof parseBasicAuth>, counted: Counted
): Promise<{ identity: Identity, stamp?: string }> {
  if (creds === undefined) return await failed(ctx, deps, counted, { reason: 'no basic credentials' })
  const checked = await verify(ctx, deps, creds.username, creds.password)
  if (checked.outcome === 'invalid') {
    // A name the source knows is a user's, never a password typed into the name field: it may be logged.
    const user = checked.userKnown ? creds.username : undefined
    const reason = checked.userKnown ? 'wrong password' : 'unknown user'
    return await failed(ctx, deps, counted, { reason, user, source: checked.source })
  }
  if (checked.outcome === 'disabled') {
    const { name: user, source } = checked.identity
    audit(ctx.state.log, 'signinFailed', { reason: 'user disabled', user, source })
    throw errors.userInactive()
  }
  await counted.attempt.succeeded()
  return checked
}

/** The sources' verdict; a directory that cannot answer is audited as such (and answered 503). */
async function verify (
  ctx: GatewayContext, deps: SignInDeps, name: string, password: string
): ReturnType<SignInDeps['identities']['verify']> {
  try {
    return await deps.identities.verify(name, password)
  } catch (err) {
    if (err instanceof GatewayError && err.kind === 'directoryUnavailable') {
      const { ip } = ctx.state.client
      audit(ctx.state.log, 'signinDirectoryUnavailable', { source: 'ldap', ip })
    }
    throw err
  }
}

/** Who a failed sign-in is logged as: the reason, and the user and source when a source knows the name. */
interface Failure { reason: string, user?: string, source?: Identity['source'] }

/** Logs and counts a failed sign-in (banning its subjects when they reach the limit), then refuses it. */
async function failed (
  ctx: GatewayContext, deps: SignInDeps, { subjects, attempt }: Counted, { reason, user, source }: Failure
): Promise<never> {
  audit(ctx.state.log, 'signinFailed', { reason, user, source, ip: subjects.ip })
  for (const subject of await attempt.failed()) {
    const who = subject === 'ip' ? { ip: subjects.ip } : { user }
    audit(ctx.state.log, 'signinBanned', { subject, ...who, banMs: deps.config.signin.banTime })
  }
  throw errors.unauthorized()
}

async function signOut (ctx: GatewayContext, deps: SignInDeps): Promise<void> {
  await drainLimitedBody(ctx.req, bodyLimits(deps))
  if (isCrossSite(ctx, deps)) throw errors.crossSite()
  // The cookie is cleared whatever happens: a dead cookie is of no use to the browser.
  ctx.set('Set-Cookie', clearedCookie(deps, ctx.state.client.https))
  const ended = await endCookieSessions(ctx, deps, { signedOut: true })
  const proxied = ctx.state.proxyIdentity
  if (ended[0] === undefined && proxied === undefined) throw errors.unauthorized()
  if (proxied !== undefined) {
    const { name: user, source } = proxied
    // This replica's first (it forgets their ids), then those other replicas started, through the shared store.
    const here = await deps.implicitSessions.end(user, ctx.state.log, 'signed out')
    const elsewhere = await endOwnerFor(deps, { name: user, source }, 'signed out', ctx.state.log)
    audit(ctx.state.log, 'proxySignedOut', { user, source, sessions: here + elsewhere })
  }
  ctx.state.user = proxied?.name ?? ended[0]?.user
  ctx.status = 204
}

/**
 * Ends every live session the request's cookies carry (src/access/session-lifecycle.ts), audited as
 * `ending` says: a sign-out, or a new sign-in (whatever its outcome: no fixation).
 */
export async function endCookieSessions (
  ctx: GatewayContext, deps: Pick<AppDeps, 'sessions' | 'cookie'>, ending: Ending
): ReturnType<typeof endPresentedSessions> {
  const ids = readCookies(ctx.get('cookie') || undefined, deps.cookie.name)
  return await endPresentedSessions(deps, ids, ctx.state.log, ending)
}
