import { isTokenAuthorization } from '../auth/basic-auth.ts'
import type { Identity } from '../auth/identity.ts'
import type { RouteClass } from '../route-rules.ts'

/** What a request shows of itself, read off its headers; nothing here asks a store. */
export interface AccessRequest {
  route: RouteClass
  /** The identity a trusted auth proxy asserted (its headers were read by the pipeline), if any. */
  proxyIdentity?: Identity
  /** The `Authorization` header, if any. */
  authorization?: string
  /** The session ids the request's cookies carry, each once. */
  sessionIds: () => string[]
  /** Whether another site made the browser send the request (resource isolation). */
  crossSite: () => boolean
  /** Whether a client token may pass through for InfluxDB to judge (`upstream.tokenPassthrough`). */
  tokenPassthrough: boolean
}

/** What a request presents, before any store is asked. */
export type Presentation =
  | { kind: 'authProxy', identity: Identity, crossSite: boolean }
  | { kind: 'token', authorization: string }
  /** Our cookie: `ids` to look up (none are read when `crossSite`). */
  | { kind: 'cookie', ids: string[], crossSite: boolean }
  | { kind: 'nothing' }

/** One way of presenting an identity: recognises a request, or passes it to the next. */
export type IdentityLoader = (req: AccessRequest) => Presentation | undefined

/**
 * An identity a trusted auth proxy asserted wins over everything: the client's own `Authorization` is
 * replaced, cookies are not read.
 */
const authProxyIdentity: IdentityLoader = (req) =>
  req.proxyIdentity === undefined ? undefined : { kind: 'authProxy', identity: req.proxyIdentity, crossSite: req.crossSite() }

/**
 * A client `Token`/`Bearer` header wins over the cookie (InfluxDB's rule) and passes through, except on
 * routes InfluxDB leaves unauthenticated (`/metrics`, `/debug/*`): those need a session.
 */
const clientToken: IdentityLoader = (req) => {
  const { authorization } = req
  if (!req.tokenPassthrough || req.route.sessionOnly || authorization === undefined) return undefined
  if (!isTokenAuthorization(authorization)) return undefined
  return { kind: 'token', authorization }
}

/**
 * Our session cookie. Every cookie of our name is read (the header limit bounds them): a same-site party
 * that tosses junk cookies of our name in front of the real one cannot hide it.
 */
const sessionCookie: IdentityLoader = (req) => {
  const ids = req.sessionIds()
  // SECURITY: resource isolation, whatever the method: refused before any session is read or renewed.
  return ids.length === 0 ? undefined : { kind: 'cookie', ids, crossSite: req.crossSite() }
}

/**
 * The request-time identity loaders, in order: the first that recognises a request decides what it
 * presents. A new way of presenting an identity is one more loader here (and its case in the decision).
 */
export const IDENTITY_LOADERS: readonly IdentityLoader[] = [authProxyIdentity, clientToken, sessionCookie]

const NOTHING: Presentation = { kind: 'nothing' }

/** What `req` presents: the first loader's answer, or nothing. */
export function present (req: AccessRequest, loaders: readonly IdentityLoader[] = IDENTITY_LOADERS): Presentation {
  for (const load of loaders) {
    const presented = load(req)
    if (presented !== undefined) return presented
  }
  return NOTHING
}
