import type { UpstreamCredential } from '../auth/access-rules.ts'
import type { DatabaseScope } from '../auth/database-scope.ts'
import type { Identity } from '../auth/identity.ts'
import { errors, type GatewayError } from '../errors.ts'
import type { RouteClass } from '../route-rules.ts'
import type { Session } from '../session/session-store.ts'
import { sessionGrant, type GroupsRead, type Standing } from './standing.ts'

/** A session found through the request's cookie. */
export interface FoundSession { id: string, session: Session }

/** How a request that may go upstream was authenticated. */
export type Authentication =
  /** A live session's identity and the credential its rule gives it now. */
  | { kind: 'session', identity: Identity, credential: UpstreamCredential, found: FoundSession, scope?: DatabaseScope }
  /**
   * An identity a trusted auth proxy asserted (`authProxy:`): no cookie; no session either, unless its
   * rule mints (then an implicit one holds the token, and `credential` is the rule's `mint` until then).
   */
  | { kind: 'authProxy', identity: Identity, credential: UpstreamCredential, scope?: DatabaseScope }
  /** The client's own `Token`/`Bearer` header, passed through for InfluxDB to judge. */
  | { kind: 'token', authorization: string }
  | { kind: 'public' }

/** A session's standing once its identity could be judged (a `due` identity is looked up first). */
export type Judged = Exclude<Standing, { kind: 'due' }>

/** What the identity loaders found a request presents, with what the decision is made on. */
export type Loaded =
  /** An identity a trusted auth proxy asserted, and what the access rules grant it (not read when cross-site). */
  | { kind: 'authProxy', identity: Identity, crossSite: boolean, granted?: UpstreamCredential }
  | { kind: 'token', authorization: string }
  /** Our cookie, on a request another site made the browser send: no session was read. */
  | { kind: 'cookie', crossSite: true }
  /**
   * A live session, how it stands, and (when current) what its rule grants and the minted token it holds
   * for that rule's spec.
   */
  | { kind: 'session', found: FoundSession, standing: Judged, granted?: UpstreamCredential, held?: UpstreamCredential }
  /** No credential: no cookie, or none naming a live session. */
  | { kind: 'nothing' }

/** Everything {@link decideAccess} decides on: plain values. */
export interface AccessInput {
  loaded: Loaded
  route: RouteClass
  /** The request carries a body (a length other than 0, or chunks). */
  hasBody: boolean
  /** The request is InfluxDB's onboarding (`POST /api/v2/setup`), the one anonymous request with a body. */
  onboarding: boolean
}

/** The auth proxy's outcome, for its metric and audit line. */
export type ProxyOutcome = 'authenticated' | 'cross_site' | 'no_access'

/**
 * What to do with a request: forward it with this authentication, or refuse it with this error — after
 * ending this session (`end`), writing the groups just read to it (`groupsRead`), and for an auth-proxy
 * identity, counting its outcome and ending its implicit session when its rule no longer mints
 * (`releaseImplicit`).
 */
export interface AccessDecision {
  outcome: { kind: 'forward', auth: Authentication } | { kind: 'refuse', error: GatewayError }
  end?: { found: FoundSession, reason: string }
  groupsRead?: GroupsRead
  authProxy?: ProxyOutcome
  releaseImplicit?: boolean
}

/**
 * The access decision, as a function of what the request presents (src/access/identity-loaders.ts found
 * it, in order: an auth proxy's identity, a client token, a session cookie, nothing): it touches no request,
 * store or logger; src/http/request-access.ts applies it.
 * - An identity a trusted auth proxy asserted wins over everything, under resource isolation as for the
 *   cookie; the access rules must grant it a credential (else 403 `noAccess`).
 * - A client `Token`/`Bearer` header passes through (the loaders offer it only where InfluxDB judges it).
 * - Our cookie on a cross-site request is refused (403) before any session is read.
 * - A live session forwards with the credential its rule gives it now; one that is over ends, answered
 *   `403 User is inactive` when its user is, else treated as no session.
 * - Without any, only public routes, without a body; everything else gets the uniform 401.
 */
export function decideAccess (input: AccessInput): AccessDecision {
  const { loaded } = input
  switch (loaded.kind) {
    case 'authProxy': return proxyDecision(loaded)
    case 'token': return { outcome: { kind: 'forward', auth: { kind: 'token', authorization: loaded.authorization } } }
    case 'cookie': return refuse(errors.crossSite())
    case 'session': return sessionDecision(input, loaded)
    case 'nothing': return anonymousDecision(input)
  }
}

function proxyDecision ({ identity, crossSite, granted }: Extract<Loaded, { kind: 'authProxy' }>): AccessDecision {
  // SECURITY: resource isolation, whatever the method: the browser's sign-in at the proxy rides along
  // with any request another site makes it send.
  if (crossSite) return { ...refuse(errors.crossSite()), authProxy: 'cross_site' }
  const releaseImplicit = granted?.mint === undefined
  if (granted === undefined) return { ...refuse(errors.noAccess()), authProxy: 'no_access', releaseImplicit }
  const auth: Authentication = { kind: 'authProxy', identity, credential: granted, scope: granted.scope }
  return { outcome: { kind: 'forward', auth }, authProxy: 'authenticated', releaseImplicit }
}

function sessionDecision (input: AccessInput, { found, standing, granted, held }: Extract<Loaded, { kind: 'session' }>): AccessDecision {
  if (standing.kind === 'ended') {
    const end = { found, reason: standing.reason }
    return { ...(standing.inactive ? refuse(errors.userInactive()) : anonymousDecision(input)), end }
  }
  const grant = sessionGrant(granted, held, found.session.minted !== undefined)
  if ('ends' in grant) return { ...refuse(errors.userInactive()), end: { found, reason: grant.ends } }
  // The InfluxDB 3 scope is the rule's, whichever credential (its own, or the session's minted token) goes upstream.
  const auth: Authentication = { kind: 'session', identity: standing.identity, credential: grant.credential, found, scope: granted?.scope }
  const outcome = { kind: 'forward', auth } as const
  return standing.groupsRead === undefined ? { outcome } : { outcome, groupsRead: standing.groupsRead }
}

function anonymousDecision ({ route, hasBody, onboarding }: AccessInput): AccessDecision {
  if (!route.public) return refuse(errors.unauthorized())
  // SECURITY: anonymous requests have no reason to carry a body (onboarding, when allowed, is the one
  // exception); refused before anything is forwarded, so a trickled body holds no upstream connection.
  if (hasBody && !onboarding) return refuse(errors.bodyWithoutSession())
  return PUBLIC
}

const PUBLIC: AccessDecision = { outcome: { kind: 'forward', auth: { kind: 'public' } } }

function refuse (error: GatewayError): AccessDecision {
  return { outcome: { kind: 'refuse', error } }
}
