import Router from '@koa/router'
import type Koa from 'koa'
import { parseBasicAuth } from '../auth/basic-auth.ts'
import { errors, GatewayError } from '../errors.ts'
import type { SigninOutcome } from '../observability/metrics.ts'
import { clearedSessionCookie, sessionCookie } from '../session/session-cookie.ts'
import type { Session } from '../session/session-store.ts'
import type { AppDeps } from '../app.ts'
import { isCrossSiteWrite } from './cross-site.ts'
import { drainLimitedBody, type BodyLimits } from './drain-limited-body.ts'
import type { GatewayContext, GatewayState } from './request-context.ts'
import { sessionIds } from './session-lookup.ts'

type SignInDeps = Pick<AppDeps, 'config' | 'users' | 'sessions' | 'cookie' | 'metrics'>

/**
 * `POST /api/v2/signin` (Basic → 204 + session cookie) and `POST /api/v2/signout` (204, cookie
 * cleared), as InfluxDB answers them; any other method on these paths gets 405.
 */
export function signInRoutes (deps: SignInDeps): Koa.Middleware<GatewayState> {
  const router = new Router<GatewayState>()
  router.all('/api/v2/signin', async (ctx) => {
    ctx.state.route = 'signin'
    if (ctx.method !== 'POST') throw errors.methodNotAllowed('POST')
    try {
      await signIn(ctx, deps)
      deps.metrics.signin('success')
    } catch (err) {
      deps.metrics.signin(signinOutcome(err))
      throw err
    }
  })
  router.all('/api/v2/signout', async (ctx) => {
    ctx.state.route = 'signout'
    if (ctx.method !== 'POST') throw errors.methodNotAllowed('POST')
    await signOut(ctx, deps)
  })
  return router.routes() as Koa.Middleware<GatewayState>
}

function signinOutcome (err: unknown): SigninOutcome {
  if (!(err instanceof GatewayError)) return 'error'
  if (err.status === 403) return 'disabled'
  if (err.status === 503 && err.headers['Retry-After'] !== undefined) return 'busy'
  return err.status < 500 ? 'failure' : 'error'
}

function bodyLimits (deps: SignInDeps): BodyLimits {
  return { limitBytes: deps.config.limits.maxSigninBodyBytes, timeoutMs: deps.config.limits.signinBodyTimeout }
}

async function signIn (ctx: GatewayContext, deps: SignInDeps): Promise<void> {
  await drainLimitedBody(ctx.req, bodyLimits(deps))
  // SECURITY: CSRF. A foreign page must not even end the user's session by posting here.
  if (isCrossSiteWrite(ctx, deps.config.cors.origins)) throw errors.crossSite()
  const audit = ctx.state.log.child({ audit: 'signin' })
  // A new session on every sign-in; one sent along is ended, whatever the outcome (no fixation).
  await endPresentedSessions(ctx, deps, (s) => ctx.state.log.info({ audit: 'session', user: s.user, session: s.ref, reason: 'new sign-in' }, 'session ended'))
  const creds = parseBasicAuth(ctx.get('authorization') || undefined)
  if (creds === undefined) {
    audit.info({ result: 'failure', reason: 'no basic credentials' }, 'sign-in failed')
    throw errors.unauthorized()
  }
  const verdict = await deps.users.verify(creds.username, creds.password)
  if (verdict.outcome === 'invalid') {
    // SECURITY: an unknown name is not logged: users type passwords into the name field.
    const user = verdict.userKnown ? creds.username : undefined
    audit.info({ result: 'failure', reason: verdict.userKnown ? 'wrong password' : 'unknown user', user }, 'sign-in failed')
    throw errors.unauthorized()
  }
  if (verdict.outcome === 'disabled') {
    audit.info({ result: 'failure', reason: 'user disabled', user: verdict.user.name }, 'sign-in failed')
    throw errors.userInactive()
  }
  const { id, session } = await deps.sessions.create(verdict.user.name)
  ctx.state.user = verdict.user.name
  ctx.set('Set-Cookie', sessionCookie(deps.cookie, id, session.absoluteExpiresAt, ctx.state.client.https))
  ctx.set('Cache-Control', 'no-store')
  ctx.status = 204
  audit.info({ result: 'success', user: verdict.user.name, session: session.ref }, 'signed in')
}

async function signOut (ctx: GatewayContext, deps: SignInDeps): Promise<void> {
  await drainLimitedBody(ctx.req, bodyLimits(deps))
  if (isCrossSiteWrite(ctx, deps.config.cors.origins)) throw errors.crossSite()
  // The cookie is cleared whatever happens: a dead cookie is of no use to the browser.
  ctx.set('Set-Cookie', clearedSessionCookie(deps.cookie, ctx.state.client.https))
  const ended = await endPresentedSessions(ctx, deps, (s) => ctx.state.log.info({ audit: 'signout', user: s.user, session: s.ref }, 'signed out'))
  if (ended[0] === undefined) throw errors.unauthorized()
  ctx.state.user = ended[0].user
  ctx.status = 204
}

/** Ends every live session the request's cookies carry; resolves to those that were live. */
async function endPresentedSessions (ctx: GatewayContext, deps: SignInDeps, audit: (s: Session) => void): Promise<Session[]> {
  const ended: Session[] = []
  for (const id of sessionIds(ctx, deps.cookie.name)) {
    const session = await deps.sessions.get(id, { renew: false })
    if (session !== undefined && await deps.sessions.destroy(id)) {
      ended.push(session)
      audit(session)
    }
  }
  return ended
}
