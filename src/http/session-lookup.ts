import type { GetSessionOptions, Session, SessionStore } from '../session/session-store.ts'
import { readCookies } from '../session/session-cookie.ts'
import type { GatewayContext } from './request-context.ts'

/** A session found through the request's cookie. */
export interface FoundSession { id: string, session: Session }

/** The session ids the request's cookies carry (several cookies of our name can be present). */
export function sessionIds (ctx: GatewayContext, cookieName: string): string[] {
  return readCookies(ctx.get('cookie') || undefined, cookieName)
}

/** The first live session among the request's session cookies, or undefined. */
export async function findSession (
  ctx: GatewayContext, deps: { sessions: SessionStore, cookie: { name: string } }, opts?: GetSessionOptions
): Promise<FoundSession | undefined> {
  for (const id of sessionIds(ctx, deps.cookie.name)) {
    const session = await deps.sessions.get(id, opts)
    if (session !== undefined) return { id, session }
  }
  return undefined
}
