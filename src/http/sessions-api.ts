import { endAllSessions, endOwnerSessions, endSessionByRef, type Ender } from '../access/session-lifecycle.ts'
import type { IdentitySourceName } from '../auth/identity.ts'
import { errors } from '../errors.ts'
import type { Session, SessionOwner } from '../session/session-store.ts'
import type { GatewayContext } from './request-context.ts'
import { isOwn, refuseOthers, sessionsAsker, type SessionsAsker, type SessionsDeps } from './sessions-asker.ts'

/** The most sessions one listing answers (`truncated: true` when more live): a listing's work stays bounded. */
export const LIST_LIMIT = 1000

const SOURCES: ReadonlySet<string> = new Set<IdentitySourceName>(['file', 'ldap', 'oidc', 'proxy'])
/** A session ref as the store makes it: 12 characters of base64url. */
const REF = /^[A-Za-z0-9_-]{12}$/

/**
 * `<gatewayPrefix>/api/sessions`: `GET` lists sessions (`?source=S&user=NAME` to filter), `DELETE …/{ref}`
 * ends one, `DELETE …?source=S&user=NAME` all of one identity's, `DELETE …?all=true` everyone's. With a
 * session cookie (or an auth proxy's identity) a user sees and ends their own; a gateway administrator,
 * or the administrators' API token as `Authorization: Bearer`, anyone's. `rest` is the path after `/api/sessions`.
 */
export async function sessionsApi (ctx: GatewayContext, deps: SessionsDeps, rest: string): Promise<void> {
  const ref = rest === '' ? undefined : refIn(ctx.path, rest.slice(1))
  if (ref !== undefined && ctx.method !== 'DELETE') throw errors.methodNotAllowed('DELETE')
  if (ref === undefined && !['GET', 'HEAD', 'DELETE'].includes(ctx.method)) throw errors.methodNotAllowed('GET, HEAD, DELETE')
  ctx.set('Cache-Control', 'no-store')
  const asker = await sessionsAsker(ctx, deps, { tokens: true, uiPage: false })
  if (asker.kind === 'identity') ctx.state.user = asker.identity.name
  const end = { sessions: deps.sessions, metrics: deps.metrics, log: ctx.state.log }
  if (ref !== undefined) {
    const ended = await endSessionByRef(end, ref, asker.admin ? undefined : ownerOf(asker), enderFor(asker, undefined))
    // SECURITY: a ref that is not the asker's is answered as unknown: nobody learns whether another's session exists.
    if (ended === undefined) throw errors.notFound()
    ctx.body = { ended: 1 }
    return
  }
  const query = readQuery(ctx)
  if (ctx.method !== 'DELETE') {
    const owner = query.owner ?? (asker.admin ? undefined : ownerOf(asker))
    if (owner !== undefined && !asker.admin && !isOwn(asker, owner)) refuseOthers(ctx, asker, 'list', owner)
    const { sessions, truncated } = await deps.sessions.list(owner, LIST_LIMIT)
    ctx.body = { sessions: sessions.map((s) => describeSession(s, asker)), ...(truncated ? { truncated } : {}) }
    return
  }
  if (query.all) {
    if (!asker.admin) refuseOthers(ctx, asker, 'end all')
    ctx.body = { ended: (await endAllSessions(end, enderFor(asker, undefined))).length }
    return
  }
  if (query.owner === undefined) throw errors.badRequest('name the sessions to end: /{ref}, ?source=S&user=NAME or ?all=true')
  if (!asker.admin && !isOwn(asker, query.owner)) refuseOthers(ctx, asker, 'end', query.owner)
  ctx.body = { ended: (await endOwnerSessions(end, query.owner, enderFor(asker, query.owner))).length }
}

/**
 * The ref in the raw path: routes match the canonical path, which is lowercase, and a ref is not; it must be
 * the raw path's last segment, spelled plainly (no escapes, no dot segments), else no ref at all (404).
 */
function refIn (rawPath: string, canonical: string): string {
  const raw = rawPath.slice(rawPath.lastIndexOf('/') + 1)
  if (!REF.test(raw) || raw.toLowerCase() !== canonical) throw errors.notFound()
  return raw
}

/** A session as the API and the page describe it: never its id, its ref only. */
export interface SessionView {
  ref: string
  user: string
  source: string
  created: string
  lastUsed: string
  expires: string
  address: string | null
  userAgent: string | null
  current: boolean
}

/** `s` as {@link SessionView}; `current` when it is the session the asker came with. */
export function describeSession (s: Session, asker: SessionsAsker): SessionView {
  const iso = (t: number): string => new Date(t).toISOString()
  return {
    ref: s.ref,
    user: s.user,
    source: s.identity.source,
    created: iso(s.createdAt),
    lastUsed: iso(s.lastUsedAt),
    expires: iso(Math.min(s.idleExpiresAt, s.absoluteExpiresAt)),
    address: s.address ?? null,
    userAgent: s.userAgent ?? null,
    current: asker.kind === 'identity' && asker.current?.session.ref === s.ref
  }
}

/** The asker's own identity; the API token has none. */
export function ownerOf (asker: SessionsAsker): SessionOwner | undefined {
  return asker.kind === 'identity' ? asker.owner : undefined
}

/** Who ends sessions for the metric and the audit: the token, a user their own, or an administrator. */
export function enderFor (asker: SessionsAsker, target: SessionOwner | undefined): Ender {
  if (asker.kind === 'token') return { by: 'api' }
  const actor = { name: asker.identity.name, source: asker.identity.source }
  const own = target === undefined ? !asker.admin : isOwn(asker, target)
  return { by: own ? 'user' : 'admin', actor }
}

/** The query: an owner (`source` and `user`, both or neither), or `all=true`; anything else is a 400. */
export function readQuery (ctx: Pick<GatewayContext, 'querystring'>): { owner?: SessionOwner, all: boolean } {
  const params = new URLSearchParams(ctx.querystring)
  for (const [key] of params) if (!['source', 'user', 'all'].includes(key)) throw errors.badRequest(`unknown parameter ${key}`)
  const source = params.get('source')
  const user = params.get('user')
  const all = params.get('all')
  if (all !== null && all !== 'true') throw errors.badRequest('all must be true when given')
  if ((source === null) !== (user === null)) {
    throw errors.badRequest('give source and user together: a name from another source is another person')
  }
  if (source === null || user === null) return { all: all === 'true' }
  if (!SOURCES.has(source)) throw errors.badRequest('source must be one of file, ldap, oidc, proxy')
  if (user === '' || user.length > 256) throw errors.badRequest('user must be a name of 1 to 256 characters')
  if (all !== null) throw errors.badRequest('give either all=true or source and user')
  return { owner: { name: user, source: source as IdentitySourceName }, all: false }
}
