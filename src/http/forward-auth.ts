import type { Authentication } from '../access/access-decision.ts'
import type { AppDeps } from '../app-deps.ts'
import type { Identity } from '../auth/identity.ts'
import type { ProtectedApp } from '../auth/protected-apps.ts'
import { errors, GatewayError } from '../errors.ts'
import { audit } from '../observability/audit.ts'
import { canonicalPath, classifyRoute, pathOf, targetProblem, type RouteClass } from '../route-rules.ts'
import { isForwardAuthPeer } from './client-info.ts'
import { accessRoute, influx3Access } from './influx3-access.ts'
import { bringsOwnCredentials, namesDatabaseInBody, readForwardedRequest, type ForwardedRequest } from './forwarded-request.ts'
import { isPassive } from './passive-routes.ts'
import type { GatewayContext, RequestScope } from './request-context.ts'
import { requestAccess } from './request-access.ts'
import { localReturnTo } from './return-to.ts'
import { isPageLoad, wantsUiSignin } from './ui-signin.ts'
import { upstreamPolicy } from './upstream-policy.ts'

type ForwardAuthDeps = Pick<AppDeps, 'config' | 'forwardAuth' | 'credentials' | 'users' | 'sessions' | 'cookie' | 'access' |
'refresher' | 'metrics' | 'minter' | 'implicitSessions' | 'now' | 'upstreamVersion'>

/** A protected app needs a session (or an auth proxy's identity): never public, never a client token. */
const APP_ROUTE: RouteClass = { group: 'ui', public: false, sessionOnly: true }

/**
 * `<gatewayPrefix>/auth`: an ingress (nginx `auth_request`, Caddy `forward_auth`, Traefik `forwardAuth`) asks
 * whether the original request it describes (`X-Forwarded-Method`, `X-Forwarded-Uri`/`X-Original-URI`,
 * `X-Forwarded-Host`/`-Proto`, its cookie and fetch-metadata headers) may go on. It is judged by the very
 * steps a forwarded request passes (the route rules, the upstream policy, `requestAccess`: resource
 * isolation, access rules, renewal), then answered 200 with the identity (`X-Auth-Request-User`,
 * `X-Auth-Request-Groups`) and, for InfluxDB routes, the credential the forwarder would send in
 * `Authorization`; 401 without a session (with a `Location` to the sign-in for page loads); 403 when refused.
 * SECURITY: it hands out credentials: only to peers in `forwardAuth.trustedProxies`.
 */
export async function forwardAuthEndpoint (ctx: GatewayContext, deps: ForwardAuthDeps): Promise<void> {
  const settings = deps.forwardAuth
  if (settings === undefined) throw errors.notFound()
  // SECURITY: the TCP peer, never a header: anyone else would read tokens off this endpoint with a stolen
  // cookie, or with none on a misjudged target. Nothing of its headers is read or logged.
  if (!isForwardAuthPeer(ctx.req, settings.trustedProxies)) {
    deps.metrics.forwardAuth('untrusted')
    audit(ctx.state.log, 'forwardAuthUntrusted', { peer: ctx.req.socket.remoteAddress })
    throw errors.forwardAuthUntrusted()
  }
  const judging: Partial<Judging> = {}
  try {
    const original = judging.original = readForwardedRequest(ctx.req)
    const judged = judgedScope(ctx, original)
    const app = judging.app = settings.appFor(judged.state.canonicalPath)
    await answer(ctx, judged, deps, { original, app })
    deps.metrics.forwardAuth('allowed')
  } catch (err) {
    throw counted(ctx, deps, asRefusal(err), judging)
  }
}

/**
 * The original request as the access steps read a request: its method, canonical path and route class; the
 * client's host and scheme as the ingress states them (for resource isolation's own origin); every other
 * header (cookie, `Sec-Fetch-*`, `Origin`, `Referer`, `Authorization`) the ingress passed on from the client.
 */
function judgedScope (ctx: GatewayContext, original: ForwardedRequest): RequestScope {
  const state = ctx.state
  const rawPath = pathOf(original.target)
  state.canonicalPath = canonicalPath(rawPath)
  state.routeClass = classifyRoute(original.method, rawPath, state.canonicalPath)
  state.client = { ...state.client, host: original.host ?? state.client.host, https: original.https ?? state.client.https }
  return { req: ctx.req, res: ctx.res, method: original.method, state, get: (f) => ctx.get(f), set: (f, v) => { ctx.set(f, v) } }
}

interface Judging { original: ForwardedRequest, app: ProtectedApp | undefined }

async function answer (ctx: GatewayContext, judged: RequestScope, deps: ForwardAuthDeps, { original, app }: Judging): Promise<void> {
  const problem = targetProblem(original.target, undefined)
  if (problem !== undefined) throw problem
  if (app !== undefined) return await answerApp(ctx, judged, deps, { original, app })
  const path = judged.state.canonicalPath
  // SECURITY: the ingress passes the client's own credentials on and InfluxDB would judge those instead.
  if (bringsOwnCredentials(ctx.req, original.target)) {
    throw errors.forwardAuthRefused('the request brings credentials of its own (Authorization, u or p): send it without them')
  }
  // SECURITY: the body never reaches forward auth: a database or statement named only there cannot be judged.
  if (namesDatabaseInBody(judged.method, path, deps.upstreamVersion.major() === 3)) {
    throw errors.forwardAuthRefused('this request names its database or statement in its body, which forward auth never sees')
  }
  upstreamPolicy(judged, deps)
  const auth = await access(judged, deps, original, accessRoute(judged.state.routeClass, deps))
  if (auth.kind === 'public') {
    if (wantsUiSignin(judged, deps)) throw signIn(deps, original)
    allow(ctx)
    return
  }
  if (auth.kind === 'token') throw errors.forwardAuthRefused('the request brings credentials of its own')
  // InfluxDB 3's rules, exactly as for a forwarded request; a SHOW DATABASES answer the ingress would not let the gateway filter.
  const influx3 = await influx3Access(judged, deps, auth, original.target)
  if (influx3.rewrite !== undefined) throw errors.forwardAuthRefused('SHOW DATABASES is answered only through the gateway as the proxy')
  answerIdentity(ctx, auth.identity)
  ctx.set('Authorization', deps.credentials(auth.credential))
}

/** A protected app: the identity, if the app admits it; never an InfluxDB credential. */
async function answerApp (
  ctx: GatewayContext, judged: RequestScope, deps: ForwardAuthDeps, { original, app }: Judging & { app: ProtectedApp }
): Promise<void> {
  const auth = await access(judged, deps, original, APP_ROUTE)
  if (auth.kind !== 'session' && auth.kind !== 'authProxy') throw errors.unauthorized()
  if (!app.admits(auth.identity)) throw errors.forwardAuthRefused(`${app.name} is not open to this user`)
  answerIdentity(ctx, auth.identity)
}

/** The access decision, as for a forwarded request; a page load without a session gets the sign-in's address. */
async function access (
  judged: RequestScope, deps: ForwardAuthDeps, original: ForwardedRequest, route: RouteClass
): Promise<Authentication> {
  try {
    return await requestAccess(judged, deps, { route, uiPage: route.group === 'ui', renew: !isPassive(judged, deps) })
  } catch (err) {
    if (err instanceof GatewayError && err.status === 401 && isPageLoad(judged)) throw signIn(deps, original)
    throw err
  }
}

/** 401 with the sign-in's address, to come back to the page under the `returnTo` rules. */
function signIn (deps: ForwardAuthDeps, original: ForwardedRequest): GatewayError {
  const prefix = deps.config.server.gatewayPrefix
  const back = encodeURIComponent(localReturnTo(original.target, prefix) ?? '/')
  return errors.forwardAuthSignIn(deps.config.oidc === undefined ? `/signin?returnTo=${back}` : `${prefix}/oidc/login?returnTo=${back}`)
}

/**
 * The identity headers, always both (groups possibly empty): an ingress that copies them onto the request
 * then replaces whatever a client sent under these names. Values outside printable ASCII are percent-encoded.
 */
function answerIdentity (ctx: GatewayContext, identity: Identity): void {
  ctx.set('X-Auth-Request-User', headerText(identity.name))
  ctx.set('X-Auth-Request-Groups', headerText(identity.groups.join(',')))
  allow(ctx)
}

/**
 * 200 with an empty body: nginx reads only the head of an auth answer, and keeps the connection for the
 * next question only when no body is left unread (with Koa's default `OK` body it opened one per question).
 */
function allow (ctx: GatewayContext): void {
  ctx.status = 200
  ctx.body = ''
}

function headerText (value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value)
}

/**
 * What an ingress passes on: 401 and 403 (nginx turns any other 4xx into 500). A refusal of the target or
 * the upstream policy (400, 501) is answered 403 with its message; 5xx stay what they are.
 */
function asRefusal (err: unknown): unknown {
  if (!(err instanceof GatewayError) || err.status === 401 || err.status === 403) return err
  if ((err.status >= 400 && err.status < 500) || err.status === 501) return errors.forwardAuthRefused(err.message)
  return err
}

/**
 * Counts an answer that is not 200, and audits a refusal: with the original method and canonical path once
 * they were read (never the query, which may carry 1.x passwords), the app and the user when known.
 */
function counted (ctx: GatewayContext, deps: ForwardAuthDeps, err: unknown, { original, app }: Partial<Judging>): unknown {
  const status = err instanceof GatewayError ? err.status : 500
  if (status === 401) deps.metrics.forwardAuth('unauthenticated')
  else if (status !== 403) deps.metrics.forwardAuth('error')
  else {
    deps.metrics.forwardAuth('refused')
    const { kind, message } = err as GatewayError
    const read = original === undefined ? {} : { method: original.method, path: ctx.state.canonicalPath }
    audit(ctx.state.log, 'forwardAuthRefused', { reason: kind, message, ...read, app: app?.name, user: ctx.state.user })
  }
  return err
}
