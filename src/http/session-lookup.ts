import type { AppDeps } from '../app.ts'
import type { User } from '../auth/user-store.ts'
import { errors } from '../errors.ts'
import { clearedSessionCookie, readCookies } from '../session/session-cookie.ts'
import type { GetSessionOptions, Session } from '../session/session-store.ts'
import type { GatewayContext } from './request-context.ts'

/** A session found through the request's cookie. */
export interface FoundSession { id: string, session: Session }

type LookupDeps = Pick<AppDeps, 'sessions' | 'cookie'>

/** The session ids the request's cookies carry (several cookies of our name can be present). */
export function sessionIds (ctx: GatewayContext, cookieName: string): string[] {
  return readCookies(ctx.get('cookie') || undefined, cookieName)
}

/** The first live session among the request's session cookies, or undefined. */
export async function findSession (ctx: GatewayContext, deps: LookupDeps, opts?: GetSessionOptions): Promise<FoundSession | undefined> {
  for (const id of sessionIds(ctx, deps.cookie.name)) {
    const session = await deps.sessions.get(id, opts)
    if (session !== undefined) return { id, session }
  }
  return undefined
}

/**
 * The live session and its user, looked up in the live config on every request so that a change
 * applies to existing sessions. A session whose user was disabled or removed since sign-in is ended
 * and answered `403 User is inactive` (the InfluxDB UI signs out on exactly that message).
 */
export async function findActiveSession (
  ctx: GatewayContext, deps: LookupDeps & Pick<AppDeps, 'users'>, opts?: GetSessionOptions
): Promise<(FoundSession & { user: User }) | undefined> {
  const found = await findSession(ctx, deps, opts)
  if (found === undefined) return undefined
  const user = deps.users.find(found.session.user)
  if (user !== undefined && !user.disabled) return { ...found, user }
  await deps.sessions.destroy(found.id)
  ctx.set('Set-Cookie', clearedSessionCookie(deps.cookie, ctx.state.client.https))
  ctx.state.log.info({ audit: 'session', user: found.session.user, session: found.session.ref, reason: 'user inactive' }, 'session ended')
  throw errors.userInactive()
}
