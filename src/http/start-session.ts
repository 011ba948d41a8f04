import { startSession as startLifecycle } from '../access/session-lifecycle.ts'
import type { AppDeps } from '../app-deps.ts'
import type { Identity } from '../auth/identity.ts'
import { errors } from '../errors.ts'
import { audit } from '../observability/audit.ts'
import type { CreatedSession, ProviderSession } from '../session/session-store.ts'
import type { GatewayContext } from './request-context.ts'
import { sessionOrigin } from './session-origin.ts'

type StartSessionDeps = Pick<AppDeps, 'access' | 'sessions' | 'cookie' | 'now' | 'minter'>

/**
 * What a proven identity signs in with: the stamp of the password it proved (file users), or the identity
 * provider's session it came from (single sign-on).
 */
export interface StartSessionOptions { stamp?: string, provider?: ProviderSession }

/**
 * Starts a session for an identity a sign-in has proven (Basic against the file users or the directory,
 * or an identity provider): the access rules must grant it a credential (else 403 `noAccess`, audited),
 * then the session lifecycle starts it (src/access/session-lifecycle.ts: minting its token when its rule
 * mints) and its cookie is set. The one place every way of signing in goes through, so what a new session
 * needs is decided once.
 */
export async function startSession (
  ctx: GatewayContext, deps: StartSessionDeps, identity: Identity, { stamp, provider }: StartSessionOptions = {}
): Promise<CreatedSession> {
  const credential = deps.access.credentialFor(identity)
  if (credential === undefined) {
    audit(ctx.state.log, 'signinNoAccess', { user: identity.name, source: identity.source, groups: identity.groups })
    throw errors.noAccess()
  }
  const scope = { log: ctx.state.log, https: ctx.state.client.https }
  const { started, setCookie } = await startLifecycle(deps, identity, credential, scope, { stamp, provider, origin: sessionOrigin(ctx) })
  ctx.state.user = identity.name
  ctx.set('Set-Cookie', setCookie as string)
  ctx.set('Cache-Control', 'no-store')
  return started
}
