import { clearedCookie, endAllSessions, endOtherSessions, endOwnerSessions, endSessionByRef } from '../access/session-lifecycle.ts'
import { errors } from '../errors.ts'
import type { Session, SessionOwner } from '../session/session-store.ts'
import { readLimitedBody } from './drain-limited-body.ts'
import type { GatewayContext } from './request-context.ts'
import { isOwn, refuseOthers, sessionsAsker, type SessionsAsker, type SessionsDeps } from './sessions-asker.ts'
import { describeSession, enderFor, LIST_LIMIT, ownerOf, readQuery } from './sessions-api.ts'
import { PAGE_HEADERS, renderSessionsPage } from './sessions-view.ts'

/** A form's body is a few short fields: anything longer is refused unread. */
const FORM_BODY = { limitBytes: 2048, timeoutMs: 10_000 }

type Identified = Extract<SessionsAsker, { kind: 'identity' }>

/**
 * `<gatewayPrefix>/sessions` (GET: the page) and `<gatewayPrefix>/sessions/end` (POST: its forms), for a
 * signed-in identity: HTML served by the gateway, no script, no external asset, forms that work without
 * JavaScript. Ending is a POST under resource isolation, as every cookie request, plus the per-session
 * CSRF token of the form (an HMAC of the session id, src/session/form-tokens.ts); then 303 back to the page.
 */
export async function sessionsPage (ctx: GatewayContext, deps: SessionsDeps, below: string): Promise<void> {
  ctx.state.route = 'sessions'
  const ending = below === '/sessions/end'
  const allowed = ending ? 'POST' : 'GET, HEAD'
  if (!allowed.split(', ').includes(ctx.method)) throw errors.methodNotAllowed(allowed)
  ctx.set(PAGE_HEADERS)
  // A page a link may open (GET); its form's action is no page: a POST from another origin is refused.
  const asker = await sessionsAsker(ctx, deps, { tokens: false, uiPage: !ending }) as Identified
  ctx.state.user = asker.identity.name
  if (ending) return await endFromForm(ctx, deps, asker)
  const filter = pageFilter(ctx)
  if (filter !== undefined && !asker.admin && !isOwn(asker, filter)) refuseOthers(ctx, asker, 'list', filter)
  const { sessions, truncated } = await deps.sessions.list(filter ?? (asker.admin ? undefined : asker.owner), LIST_LIMIT)
  ctx.body = renderSessionsPage({
    prefix: deps.config.server.gatewayPrefix,
    viewer: { name: asker.identity.name, source: asker.identity.source, admin: asker.admin },
    sessions: sessions.map((s) => describeSession(s, asker)),
    truncated,
    ...(filter === undefined ? {} : { filter }),
    formToken: deps.formTokens.tokenFor(asker.formSubject)
  })
}

/** The administrator's filter from the page's own form: an empty user name is no filter. */
function pageFilter (ctx: GatewayContext): SessionOwner | undefined {
  const params = new URLSearchParams(ctx.querystring)
  if (params.get('user') === '') return undefined
  return readQuery(ctx).owner
}

/** One form's ending: checks its token, ends what it names, then back to the page (or, own session ended, signed out). */
async function endFromForm (ctx: GatewayContext, deps: SessionsDeps, asker: Identified): Promise<void> {
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(ctx.get('content-type'))) throw errors.badRequest('expected a form')
  const form = new URLSearchParams((await readLimitedBody(ctx.req, FORM_BODY)).toString('utf8'))
  // SECURITY: CSRF. Beyond resource isolation, a form must carry the token only the page shown to this session holds.
  if (!deps.formTokens.check(asker.formSubject, form.get('token') ?? undefined)) throw errors.formTokenRefused()
  const ended = await endNamed(ctx, deps, asker, form)
  const prefix = deps.config.server.gatewayPrefix
  if (asker.current !== undefined && ended.some((s) => s.ref === asker.current?.session.ref)) {
    ctx.set('Set-Cookie', clearedCookie(deps, ctx.state.client.https))
    ctx.body = '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Signed out</title></head>' +
      '<body><h1>Signed out</h1><p>This browser\'s session ended.</p><p><a href="/">Back to InfluxDB</a></p></body></html>\n'
    return
  }
  ctx.status = 303
  ctx.set('Location', `${prefix}/sessions`)
  ctx.body = ''
}

/** Ends what a form names: `one` (by `ref`), `others` (the asker's but this one), `user` (`source`, `user`), `all`. */
async function endNamed (ctx: GatewayContext, deps: SessionsDeps, asker: Identified, form: URLSearchParams): Promise<Session[]> {
  const end = { sessions: deps.sessions, metrics: deps.metrics, log: ctx.state.log }
  const action = form.get('action')
  if (action === 'one') {
    const ref = form.get('ref') ?? ''
    const ended = await endSessionByRef(end, ref, asker.admin ? undefined : ownerOf(asker), enderFor(asker, undefined))
    if (ended === undefined) throw errors.notFound()
    return [ended]
  }
  if (action === 'others') return await endOtherSessions(end, asker.owner, asker.current?.session.ref ?? '', enderFor(asker, asker.owner))
  if (action === 'all') {
    if (!asker.admin) refuseOthers(ctx, asker, 'end all')
    return await endAllSessions(end, enderFor(asker, undefined))
  }
  if (action !== 'user') throw errors.badRequest('unknown action')
  const source = form.get('source') ?? ''
  const user = form.get('user') ?? ''
  const { owner } = readQuery({ querystring: new URLSearchParams({ source, user }).toString() })
  if (owner === undefined) throw errors.badRequest('name the user')
  if (!asker.admin && !isOwn(asker, owner)) refuseOthers(ctx, asker, 'end', owner)
  return await endOwnerSessions(end, owner, enderFor(asker, owner))
}
