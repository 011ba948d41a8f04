import type { AccessRules } from '../auth/access-rules.ts'
import type { IdentityRefresher } from '../auth/identity-refresher.ts'
import type { UserStore } from '../auth/user-store.ts'
import type { TokenMinter } from '../mint/token-minter.ts'
import type { CachedSessionStore } from '../session/cached-session-store.ts'
import type { GetSessionOptions, Session } from '../session/session-store.ts'
import type { FoundSession, Judged, Loaded } from './access-decision.ts'
import type { Presentation } from './identity-loaders.ts'
import { sessionStanding, type StandingFacts } from './standing.ts'

/** What loading a presentation reads: the store, the live users and rules, the directory, minted tokens. */
export interface LoadDeps {
  sessions: Pick<CachedSessionStore, 'get' | 'peek'>
  users: Pick<UserStore, 'find'>
  access: Pick<AccessRules, 'credentialFor'>
  refresher: Pick<IdentityRefresher, 'refresh' | 'isCurrent'>
  minter: Pick<TokenMinter, 'sessionCredential'>
}

const CROSS_SITE: Loaded = { kind: 'cookie', crossSite: true }
const NOTHING: Loaded = { kind: 'nothing' }

/**
 * Loads what a request presents into what the decision is made on: the access rules' grant for an
 * auth-proxy identity; for a cookie, the first live session among its ids (`opts.renew` slides its idle
 * expiry, as the store's read does), judged by the one standing rule — from the in-process cache alone,
 * synchronously, when a busy session can be (no promise), else from the store, asking the directory
 * again for a directory identity once `ldap.refreshInterval` has passed. A directory that cannot be asked
 * for longer than twice the interval rejects with 503 (the session kept).
 */
export function loadPresented (presented: Presentation, deps: LoadDeps, opts: GetSessionOptions): Loaded | Promise<Loaded> {
  switch (presented.kind) {
    case 'authProxy': {
      const { identity, crossSite } = presented
      if (crossSite) return { kind: 'authProxy', identity, crossSite }
      return { kind: 'authProxy', identity, crossSite, granted: deps.access.credentialFor(identity) }
    }
    case 'token': return presented
    case 'nothing': return NOTHING
    case 'cookie':
      if (presented.crossSite) return CROSS_SITE
      return cachedSession(deps, presented.ids[0] as string, opts) ?? storedSession(deps, presented.ids, opts)
  }
}

/**
 * The request's first session id, when the cache alone can judge it current: cached and live, its
 * identity current (a file user enabled under the password hash it signed in with; a directory identity
 * not due a lookup). Undefined whenever the store or the directory must be asked: the awaited path then
 * decides by the same rule.
 */
function cachedSession (deps: LoadDeps, id: string, opts: GetSessionOptions): Loaded | undefined {
  const session = deps.sessions.peek(id, opts)
  if (session === undefined) return undefined
  const facts: StandingFacts = session.identity.source === 'file'
    ? { user: deps.users.find(session.user) }
    : { refreshed: deps.refresher.isCurrent(session.identity, session.checkedAt ?? session.createdAt) ? CURRENT : 'due' }
  const standing = sessionStanding(session, facts)
  return standing.kind === 'current' ? judged(deps, { id, session }, standing) : undefined
}

const CURRENT = { kind: 'current' } as const

/** The first live session among `ids`, read from the store and judged. */
async function storedSession (deps: LoadDeps, ids: string[], opts: GetSessionOptions): Promise<Loaded> {
  for (const id of ids) {
    const session = await deps.sessions.get(id, opts)
    if (session !== undefined) return judged(deps, { id, session }, await standingOf(deps, session))
  }
  return NOTHING
}

async function standingOf (deps: LoadDeps, session: Session): Promise<Judged> {
  if (session.identity.source === 'file') return sessionStanding(session, { user: deps.users.find(session.user) }) as Judged
  const standing = sessionStanding(session, { refreshed: 'due' })
  if (standing.kind !== 'due') return standing
  const refreshed = await deps.refresher.refresh(session.identity, session.checkedAt ?? session.createdAt)
  return sessionStanding(session, { refreshed }) as Judged
}

/** A judged session, with what its rule grants now and the minted token it holds for that rule. */
function judged (deps: LoadDeps, found: FoundSession, standing: Judged): Loaded {
  if (standing.kind === 'ended') return { kind: 'session', found, standing }
  const granted = deps.access.credentialFor(standing.identity)
  const held = granted?.mint === undefined ? undefined : deps.minter.sessionCredential(found.id, found.session, granted.mint)
  return { kind: 'session', found, standing, granted, held }
}
