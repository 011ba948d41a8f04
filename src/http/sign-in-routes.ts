import Router from '@koa/router'
import type Koa from 'koa'
import { parseBasicAuth } from '../auth/basic-auth.ts'
import { errors } from '../errors.ts'
import { clearedSessionCookie, readCookie, sessionCookie } from '../session/session-cookie.ts'
import type { AppDeps } from '../app.ts'
import { isCrossSiteWrite } from './cross-site.ts'
import { drainLimitedBody } from './read-limited-body.ts'
import type { GatewayContext, GatewayState } from './request-context.ts'

type SignInDeps = Pick<AppDeps, 'config' | 'users' | 'sessions' | 'cookie'>

/**
 * `POST /api/v2/signin` (Basic → 204 + session cookie) and `POST /api/v2/signout` (204, cookie
 * cleared), as InfluxDB answers them; any other method on these paths gets 405.
 */
export function signInRoutes (deps: SignInDeps): Koa.Middleware<GatewayState> {
  const router = new Router<GatewayState>()
  router.all('/api/v2/signin', async (ctx) => {
    ctx.state.route = 'signin'
    if (ctx.method !== 'POST') throw errors.methodNotAllowed('POST')
    await signIn(ctx, deps)
  })
  router.all('/api/v2/signout', async (ctx) => {
    ctx.state.route = 'signout'
    if (ctx.method !== 'POST') throw errors.methodNotAllowed('POST')
    await signOut(ctx, deps)
  })
  return router.routes() as Koa.Middleware<GatewayState>
}

async function signIn (ctx: GatewayContext, deps: SignInDeps): Promise<void> {
  await drainLimitedBody(ctx.req, deps.config.limits.maxSigninBodyBytes)
  const audit = ctx.state.log.child({ audit: 'signin' })
  // A new session on every sign-in; one sent along is ended, whatever the outcome (no fixation).
  const previous = readCookie(ctx.get('cookie'), deps.cookie.name)
  if (previous !== undefined) await deps.sessions.destroy(previous)
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
  await drainLimitedBody(ctx.req, deps.config.limits.maxSigninBodyBytes)
  if (isCrossSiteWrite(ctx, deps.config.cors.origins)) throw errors.crossSite()
  const id = readCookie(ctx.get('cookie'), deps.cookie.name)
  // The cookie is cleared whatever happens: a dead cookie is of no use to the browser.
  ctx.set('Set-Cookie', clearedSessionCookie(deps.cookie, ctx.state.client.https))
  const session = id === undefined ? undefined : await deps.sessions.get(id, { renew: false })
  if (id === undefined || session === undefined || !(await deps.sessions.destroy(id))) throw errors.unauthorized()
  ctx.state.user = session.user
  ctx.status = 204
  ctx.state.log.info({ audit: 'signout', user: session.user, session: session.ref }, 'signed out')
}
