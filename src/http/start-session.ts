import type { AppDeps } from '../app-deps.ts'
import type { Identity } from '../auth/identity.ts'
import { errors } from '../errors.ts'
import { sessionCookie } from '../session/session-cookie.ts'
import type { CreatedSession } from '../session/session-store.ts'
import type { GatewayContext } from './request-context.ts'

type StartSessionDeps = Pick<AppDeps, 'access' | 'sessions' | 'cookie' | 'now' | 'minter'>

/** What a proven identity signs in with: the stamp of the password it proved (file users). */
export interface StartSessionOptions { stamp?: string }

/**
 * Starts a session for an identity a sign-in has proven (Basic against the file users or the directory,
 * or an identity provider): the access rules must grant it a credential (else 403 `noAccess`, audited),
 * then the session is created, its cookie set and the sign-in audited. A `mint` credential has its token
 * minted for the session first (503/403 when InfluxDB cannot or will not, and no session); one minted for a
 * session that then could not be stored is deleted again. The identity's oldest sessions past
 * `session.maxPerIdentity` end in the store's create (audited here, reason `session cap`). The one place every way of signing in goes
 * through, so what a new session needs is decided once.
 */
export async function startSession (
  ctx: GatewayContext, deps: StartSessionDeps, identity: Identity, { stamp }: StartSessionOptions = {}
): Promise<CreatedSession> {
  const { name: user, source } = identity
  const credential = deps.access.credentialFor(identity)
  if (credential === undefined) {
    const refused = { audit: 'signin', result: 'no access', user, source, groups: identity.groups }
    ctx.state.log.info(refused, 'sign-in refused: no access rule matches')
    throw errors.noAccess()
  }
  const checkedAt = identity.source === 'file' ? undefined : deps.now()
  const started = await deps.minter.createSession(deps.sessions, identity, credential.mint, { stamp, checkedAt })
  ctx.state.user = user
  ctx.set('Set-Cookie', sessionCookie(deps.cookie, started.id, started.session.absoluteExpiresAt, ctx.state.client.https))
  ctx.set('Cache-Control', 'no-store')
  ctx.state.log.info({ audit: 'signin', result: 'success', user, source, session: started.session.ref }, 'signed in')
  for (const ref of started.evicted ?? []) {
    ctx.state.log.info({ audit: 'session', user, source, session: ref, reason: 'session cap' }, 'session ended')
  }
  return started
}
