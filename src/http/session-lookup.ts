import type { AppDeps } from '../app-deps.ts'
import type { User } from '../auth/user-store.ts'
import { errors } from '../errors.ts'
import { clearedSessionCookie, readCookies } from '../session/session-cookie.ts'
import type { GetSessionOptions, Session } from '../session/session-store.ts'
import type { GatewayContext } from './request-context.ts'

/** A session found through the request's cookie. */
export interface FoundSession { id: string, session: Session }

type LookupDeps = Pick<AppDeps, 'sessions' | 'cookie'>

/**
 * The session ids the request's cookies carry, each once. Every cookie of our name is read (the header
 * limit bounds them): a same-site party that tosses junk cookies of our name in front of the real one
 * cannot hide it.
 */
export function sessionIds (ctx: GatewayContext, cookieName: string): string[] {
  return readCookies(ctx.get('cookie') || undefined, cookieName)
}

/** The first live session among the request's session cookies (or `ids`, when already read), or undefined. */
export async function findSession (
  ctx: GatewayContext, deps: LookupDeps, opts?: GetSessionOptions, ids = sessionIds(ctx, deps.cookie.name)
): Promise<FoundSession | undefined> {
  for (const id of ids) {
    const session = await deps.sessions.get(id, opts)
    if (session !== undefined) return { id, session }
  }
  return undefined
}

/**
 * The live session and its user, looked up in the live config on every request so that a change
 * applies to existing sessions. A session whose user was disabled or removed since sign-in is ended
 * and answered `403 User is inactive` (the InfluxDB UI signs out on exactly that message). A session
 * signed in under another password (changed since), or revoked by a reload that disabled the user (even
 * if enabled again since), is ended and treated as absent.
 */
export async function findActiveSession (
  ctx: GatewayContext, deps: LookupDeps & Pick<AppDeps, 'users'>, opts?: GetSessionOptions, ids?: string[]
): Promise<(FoundSession & { user: User }) | undefined> {
  const found = await findSession(ctx, deps, opts, ids)
  if (found === undefined) return undefined
  const user = deps.users.find(found.session.user)
  if (user === undefined || user.disabled) {
    await endSession(ctx, deps, found, 'user inactive')
    throw errors.userInactive()
  }
  // SECURITY: valid only under the password hash and the enabled state it was signed in under.
  if (found.session.revoked || found.session.stamp !== user.stamp) {
    await endSession(ctx, deps, found, found.session.revoked ? 'user was disabled' : 'password changed')
    return undefined
  }
  return { ...found, user }
}

async function endSession (ctx: GatewayContext, deps: LookupDeps, found: FoundSession, reason: string): Promise<void> {
  await deps.sessions.destroy(found.id)
  ctx.set('Set-Cookie', clearedSessionCookie(deps.cookie, ctx.state.client.https))
  ctx.state.log.info({ audit: 'session', user: found.session.user, session: found.session.ref, reason }, 'session ended')
}
