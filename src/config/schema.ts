import { z } from 'zod'
import { authProxySchema } from './auth-proxy-schema.ts'
import { forwardAuthSchema } from './forward-auth-schema.ts'
import { gatewayAdminsSchema } from './gateway-admins-schema.ts'
import { accessRule, ldapSchema } from './identity-schema.ts'
import { oidcSchema } from './oidc-schema.ts'
import { boolean, cidr, duration, integer, origin, pathPrefix, secret } from './schema-types.ts'
import { userSchema } from './user-schema.ts'
import { restartOnly } from './restart-only.ts'
import { checkRecordKeys, sessionSchema } from './session-schema.ts'
import { checkInflux3Rules } from './influx3-schema.ts'

/**
 * The configuration schema: the single source of truth for names, types, defaults and documentation.
 * Durations are written as `500ms`, `90s`, `10m`, `8h` and parsed to milliseconds.
 */

const server = z.object({
  host: restartOnly(z.string().min(1).default('127.0.0.1').describe('Address to listen on.')),
  port: restartOnly(integer(0, 65535).default(8080).describe('Port to listen on (0 picks a free one).')),
  trustProxy: z.array(cidr).default([])
    .describe('Proxies (CIDR list) whose `X-Forwarded-For/-Proto/-Host` are believed; from anyone else they are overwritten.'),
  tls: restartOnly(z.object({
    cert: z.string().min(1).describe('PEM certificate chain file.'),
    key: z.string().min(1).describe('PEM private key file.')
  }).strict().optional().describe('Serve HTTPS directly (files read at start).')),
  gatewayPrefix: pathPrefix.default('/gateway')
    .describe('Reserved path prefix of the gateway\'s own endpoints (`/gateway/session`); never forwarded.'),
  shutdownTimeout: duration('25s', { min: '0ms' })
    .describe('On SIGTERM/SIGINT, in-flight requests (streams included) get this long to finish, then are cut; ' +
      '`0s` cuts them at once.')
}).strict()

const metrics = z.object({
  enabled: boolean.default(true).describe('Serve Prometheus metrics at `<gatewayPrefix>/metrics` (and `/metrics`).'),
  // SECURITY: metrics name users' traffic, error rates and the gateway's internals: by default only a
  // listener the public cannot reach serves them, never the public port.
  listener: restartOnly(z.enum(['separate', 'main']).default('separate')
    .describe('`separate`: only on their own listener at `metrics.host`:`metrics.port`. `main`: on the main listener instead, ' +
      'to anyone who can reach it (only where a firewall or proxy in front keeps them private).')),
  port: restartOnly(integer(0, 65535).default(9464).describe('Port of the separate metrics listener (`0`: any free port).')),
  host: restartOnly(z.string().min(1).default('127.0.0.1')
    .describe('Address of the separate metrics listener; loopback by default ' +
      '(in a container: `0.0.0.0`, and publish the port on loopback).'))
}).strict()

const upstream = z.object({
  url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
    .default('http://127.0.0.1:8086').describe('InfluxDB base URL.'),
  timeout: duration('30s', { min: '100ms' })
    .describe('Longest wait for InfluxDB response headers once the request is sent (checked about once a second), ' +
      'and longest pause inside a request body; then 504. Started responses are never cut.'),
  jwtSharedSecret: secret.optional().describe('InfluxDB 1.x `[http] shared-secret`; needed only by users with `jwt`.'),
  operatorToken: secret.optional()
    .describe('InfluxDB 2 operator (all-access) token, or InfluxDB 3 admin token, needed by `mint` credentials: used only to ' +
      'create, list and delete the per-session tokens (and to ask InfluxDB 3\'s `/ping`), never forwarded. ' +
      'The gateway\'s most valuable secret.'),
  mintSweepInterval: duration('5m', { min: '1s' })
    .describe('How often the gateway deletes the tokens it minted that no live session holds ' +
      '(sessions that expired in Redis, a crash); also done at start.'),
  tokenPassthrough: boolean.default(true)
    .describe('Forward requests that bring their own `Authorization: Token|Bearer` untouched.'),
  version: z.preprocess((v) => typeof v === 'number' ? String(v) : v, z.enum(['auto', '1', '2', '3'])).default('auto')
    .describe('InfluxDB\'s major version, for the dialect of the gateway\'s own errors on the v1 routes `/query` and `/write` ' +
      '(1.x: `{"error"}` and `WWW-Authenticate`) and, for 3, its route classes and `databases:`/`admin:` rules; ' +
      '`auto` reads `/ping`\'s `X-Influxdb-Version` (with `operatorToken` when InfluxDB 3 asks for one).'),
  allowSetup: boolean.default(false)
    .describe('Let `POST /api/v2/setup` (onboarding) through; it would create an InfluxDB user the gateway does not know.')
}).strict()

const cors = z.object({
  origins: z.array(origin).default([])
    .describe('Browser origins allowed to call the gateway with credentials (exact match); others get no CORS grant.')
}).strict()

const limits = z.object({
  maxHeaderBytes: restartOnly(integer(1024, 1_048_576).default(16_384)
    .describe('Largest request head (request line + headers); larger gets 431.')),
  maxSigninBodyBytes: integer(0, 1_048_576).default(1024)
    .describe('Largest body accepted on sign-in/sign-out (they need none); larger gets 413.'),
  maxQueryBodyBytes: integer(1024, 67_108_864).default(1_048_576)
    .describe('InfluxDB 3: largest query body (form, multipart, JSON) the gateway reads to find the database; larger gets 413.'),
  headersTimeout: restartOnly(duration('20s', { min: '100ms' })
    .describe('A client must send its whole request head within this (slowloris); then 408.')),
  keepAliveTimeout: restartOnly(duration('5s', { min: '100ms' }).describe('How long an idle client connection is kept open.')),
  signinBodyTimeout: duration('10s', { min: '100ms' })
    .describe('A sign-in/sign-out body must arrive within this, or the connection is cut (slow clients).'),
  maxConnections: integer(1, 1_000_000).default(400)
    .describe('Client connections served at once; more get 503 at once. Each may hold an InfluxDB connection too: ' +
      'keep it under half of `ulimit -n` (1024 by default) minus headroom.'),
  publicRequestTimeout: duration('30s', { min: '100ms' })
    .describe('Longest a request forwarded without a session or token (public routes) may take, response included; ' +
      'then 504, or the connection is cut if the answer has started.')
}).strict()

const signin = z.object({
  maxFailures: integer(0, 1000).default(5)
    .describe('Failed sign-ins per user name or client address within `findTime` before a ban (429); 0 disables. ' +
      'Also bounds the sign-ins in flight at once for either: with its failures they stay within this, more get 429 ' +
      'with `Retry-After: 1` (a retry, never a ban).'),
  findTime: duration('2m', { min: '1s' }).describe('The window failures are counted in.'),
  banTime: duration('5m', { min: '1s' }).describe('How long a ban lasts, even for the right password.'),
  maxConcurrentHashes: integer(1, 3).default(1)
    .describe('Password hashes computed at once (about 50 ms of a core each); ' +
      'at most 3, so libuv\'s 4 threads keep one for DNS and files.'),
  maxQueuedHashes: integer(0, 10_000).default(32)
    .describe('Sign-ins that may wait for a hash slot; beyond that they get 503 with `Retry-After`.'),
  maxHashWait: duration('5s', { min: '10ms' })
    .describe('Longest a sign-in waits for a hash slot; then it gets 503 with `Retry-After` instead of being hashed late.')
}).strict()

const log = z.object({
  level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info')
    .describe('pino log level (applied on reload).'),
  format: restartOnly(z.enum(['json', 'pretty']).default('json')
    .describe('`json` lines on stdout, or `pretty` for humans.'))
}).strict()

/** Cross-field rules run even when other fields failed (`when`), so every problem is reported at once. */
const always = { when: () => true }

export const configSchema = z.object({
  server: server.prefault({}).describe('Where the gateway listens.'),
  upstream: upstream.prefault({}).describe('The InfluxDB behind the gateway.'),
  session: sessionSchema.prefault({}).describe('Session lifetime.'),
  cors: cors.prefault({}).describe('Cross-origin browser apps.'),
  limits: limits.prefault({}).describe('Request size and time limits.'),
  signin: signin.prefault({}).describe('Sign-in protection.'),
  metrics: metrics.prefault({}).describe('Prometheus metrics.'),
  log: log.prefault({}).describe('Logging on stdout.'),
  ldap: ldapSchema.optional().describe('Sign-in with directory accounts (LDAP, Active Directory), after the file users.'),
  oidc: oidcSchema.optional()
    .describe('Single sign-on at an OpenID Connect provider (`<gatewayPrefix>/oidc/login`); identities get credentials from `access:`.'),
  authProxy: authProxySchema.optional()
    .describe('Identities asserted by an SSO proxy in front (Authelia, oauth2-proxy, Pomerium): no cookie, no sign-in.'),
  forwardAuth: forwardAuthSchema.optional()
    .describe('An ingress (nginx `auth_request`, Caddy `forward_auth`, Traefik `forwardAuth`) asks `<gatewayPrefix>/auth` ' +
      'about each request, and forwards it itself: to InfluxDB with the credential answered, or to the apps beside it.'),
  gatewayAdmins: gatewayAdminsSchema.prefault({})
    .describe('Who may see and end everyone\'s sessions at `<gatewayPrefix>/sessions` and `<gatewayPrefix>/api/sessions`.'),
  access: z.array(accessRule).default([])
    .describe('Which upstream credential a signed-in identity gets, first match wins (file users with a credential of their own keep it).'),
  users: z.array(userSchema).default([]).describe('Who may sign in, and the upstream credential each one uses.')
}).strict().superRefine((config, ctx) => {
  const users = Array.isArray(config.users) ? config.users : []
  const seen = new Set<string>()
  users.forEach((u, i) => {
    if (seen.has(u?.name)) ctx.addIssue({ code: 'custom', path: ['users', i, 'name'], message: `duplicate user name "${u.name}"` })
    seen.add(u?.name)
  })
  const jwtUsers = users.filter((u) => u?.jwt !== undefined).map((u) => u.name)
  const jwtRules = (Array.isArray(config.access) ? config.access : []).some((r) => r?.jwt !== undefined) ? ['access rules'] : []
  if (jwtUsers.length + jwtRules.length > 0 && config.upstream?.jwtSharedSecret === undefined) {
    const message = `required by users with jwt credentials (${[...jwtUsers, ...jwtRules].join(', ')})`
    ctx.addIssue({ code: 'custom', path: ['upstream', 'jwtSharedSecret'], message })
  }
  checkAccess(config, ctx)
  checkOidcCallback(config, ctx)
  checkMint(config, ctx)
  checkInflux3Rules(config, ctx)
  checkAppPrefixes(config, ctx)
  if (config.session?.store === 'redis' && config.session.redis === undefined) {
    ctx.addIssue({ code: 'custom', path: ['session', 'redis'], message: 'required when session.store is redis' })
  }
  checkRecordKeys(config, ctx)
  const { idleTimeout, absoluteTimeout } = config.session ?? {}
  if (typeof idleTimeout === 'number' && typeof absoluteTimeout === 'number' && absoluteTimeout < idleTimeout) {
    ctx.addIssue({ code: 'custom', path: ['session', 'absoluteTimeout'], message: 'must not be shorter than session.idleTimeout' })
  }
}, always)

/** Directory, single sign-on and auth-proxy users get credentials only from rules; a file user's `groups:` must reach one. */
function checkAccess (
  config: { ldap?: unknown, oidc?: unknown, authProxy?: unknown, access?: unknown, users?: unknown }, ctx: z.RefinementCtx
): void {
  const rules = Array.isArray(config.access) ? config.access as Array<{ group?: unknown }> : []
  const who = { ldap: 'directory', oidc: 'single sign-on', authProxy: 'auth-proxy' } as const
  for (const section of ['ldap', 'oidc', 'authProxy'] as const) {
    if (config[section] === undefined || rules.length > 0) continue
    const message = `required with ${section}: ${who[section]} users get their upstream credential only from access rules`
    ctx.addIssue({ code: 'custom', path: ['access'], message })
  }
  const granted = new Set(rules.map((r) => r?.group))
  const users = Array.isArray(config.users) ? config.users as Array<{ groups?: unknown }> : []
  users.forEach((u, i) => {
    if (Array.isArray(u?.groups) && !u.groups.some((g) => granted.has(g))) {
      ctx.addIssue({ code: 'custom', path: ['users', i, 'groups'], message: 'no access rule matches any of these groups' })
    }
  })
}

/** The provider sends the browser back to `oidc.redirectUrl`: it must be the gateway's callback route. */
function checkOidcCallback (
  config: { oidc?: { redirectUrl?: unknown }, server?: { gatewayPrefix?: unknown } }, ctx: z.RefinementCtx
): void {
  const url = config.oidc?.redirectUrl
  const prefix = config.server?.gatewayPrefix
  if (typeof url !== 'string' || typeof prefix !== 'string') return
  const expected = `${prefix}/oidc/callback`
  let path: string | undefined
  try { path = new URL(url).pathname } catch { return }
  if (path !== expected) {
    ctx.addIssue({ code: 'custom', path: ['oidc', 'redirectUrl'], message: `must end in the gateway's callback path ${expected}` })
  }
}

/** A protected app may not live under the gateway's own prefix, nor hold it. */
function checkAppPrefixes (
  config: { forwardAuth?: { apps?: unknown }, server?: { gatewayPrefix?: unknown } }, ctx: z.RefinementCtx
): void {
  const prefix = config.server?.gatewayPrefix
  const apps = Array.isArray(config.forwardAuth?.apps) ? config.forwardAuth.apps as Array<{ pathPrefix?: unknown }> : []
  if (typeof prefix !== 'string') return
  apps.forEach((app, i) => {
    const own = app?.pathPrefix
    if (typeof own !== 'string') return
    if (own === prefix || own.startsWith(`${prefix}/`) || prefix.startsWith(`${own}/`)) {
      ctx.addIssue({ code: 'custom', path: ['forwardAuth', 'apps', i, 'pathPrefix'], message: `overlaps server.gatewayPrefix ${prefix}` })
    }
  })
}

/** `mint` credentials need the operator token that mints them. */
function checkMint (config: { access?: unknown, users?: unknown, upstream?: { operatorToken?: unknown } }, ctx: z.RefinementCtx): void {
  const named = (list: unknown): Array<{ name?: unknown, mint?: unknown }> => Array.isArray(list) ? list : []
  const users = named(config.users).filter((u) => u?.mint !== undefined).map((u) => String(u.name))
  const rules = named(config.access).some((r) => r?.mint !== undefined) ? ['access rules'] : []
  if (users.length + rules.length > 0 && config.upstream?.operatorToken === undefined) {
    const message = `required by mint credentials (${[...users, ...rules].join(', ')})`
    ctx.addIssue({ code: 'custom', path: ['upstream', 'operatorToken'], message })
  }
}

/** The validated configuration, durations in milliseconds. */
export type Config = z.infer<typeof configSchema>
/** One configured user. */
export type ConfigUser = Config['users'][number]
