import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { Writable } from 'node:stream'
import type { TestContext } from 'node:test'
import YAML from 'yaml'
import { hashPassword } from '../../src/auth/password.ts'
import { parseConfig } from '../../src/config/load.ts'
import { redisUrlHasPassword } from '../../src/config/substitute.ts'
import type { Deps } from '../../src/deps.ts'
import { startGateway as startRealGateway } from '../../src/gateway.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { startFakeInflux, type FakeInflux, type FakeInfluxOptions } from './fake-influx.ts'
import { recordLogLines, recordSecret, recordSetCookies, watchServer } from './secret-ledger.ts'

/** A user for a test: a plain password (hashed cheaply here) and one upstream credential, or groups. */
export interface TestUser {
  name: string
  password: string
  disabled?: boolean
  groups?: string[]
  token?: string
  basic?: { username: string, password: string }
  jwt?: { username: string }
  /** A token minted per session (needs the operator token, which the helper passes when any user or rule mints). */
  mint?: { org: string, permissions: string[] }
}

/** Options for {@link startGateway}. */
export interface StartGatewayOptions {
  /** Upstream to use; default: a fresh InfluxDB 2 double, closed with the gateway. */
  upstreamUrl?: string
  users?: TestUser[]
  /**
   * Extra config sections merged over the defaults (YAML shape, e.g. `{ session: { idleTimeout: '1m' } }`).
   * Without a `metrics:` section, metrics are served on the main listener (`metrics.listener: main`), where
   * tests read them, and no separate listener takes a fixed port; with one, the section stands as given.
   */
  config?: Record<string, Record<string, unknown>>
  /** Shared secret for `jwt` users. */
  jwtSharedSecret?: string
  /** The `ldap:` section; its `bindPassword` is passed through the environment, as secrets must be. */
  ldap?: Record<string, unknown> & { bindPassword: string }
  /** The `oidc:` section; its `clientSecret` is passed through the environment. */
  oidc?: Record<string, unknown> & { clientSecret?: string }
  /** The `access:` rules; a rule's `token` is passed through the environment. */
  access?: Array<Record<string, unknown> & { token?: string }>
  now?: () => number
  /** Options of the InfluxDB 2 double (its operator token, org, users, buckets). */
  influx?: FakeInfluxOptions
  /**
   * `upstream.operatorToken`, through the environment; default: the double's when a user or rule mints.
   * `null`: none, even then.
   */
  operatorToken?: string | null
  /** `false`: do not keep log lines in memory (a storm's heap figures); `logs`/`logText` stay empty. */
  keepLogs?: boolean
  /** `gatewayAdmins.apiTokens: [${ADMIN_API_TOKEN}]` with this token (recorded in the ledger), beside `config.gatewayAdmins`. */
  adminApiToken?: string
}

/** A running gateway and what a test needs to look at. */
export interface TestGateway {
  url: string
  /** The separate metrics listener's URL, when the test's `metrics:` section asks for it (see {@link StartGatewayOptions.config}). */
  metricsUrl?: string
  deps: Deps
  /** The InfluxDB 2 double, when the gateway started one. */
  influx: FakeInflux
  /** Every log line so far, parsed. */
  logs: Array<Record<string, unknown>>
  /** Every log line so far, raw: to search for leaked secrets. */
  logText: () => string
  /** Resolves with the first log line (past or future) matching; rejects after {@link LOG_WAIT_MS} without one. */
  waitForLog: (predicate: (line: Record<string, unknown>) => boolean) => Promise<Record<string, unknown>>
}

/** Longest wait of `waitForLog`: a line that never comes fails the test instead of hanging it. */
const LOG_WAIT_MS = 30_000

/** The `session.recordKey` every gateway of a test process on Redis gets unless the test sets one. */
export const TEST_RECORD_KEY = 'test-record-key-0123456789abcdefghijklmnopqrstuvwxyz'

/** The default test user: alice, an InfluxDB 2 token user. */
export const ALICE: TestUser = { name: 'alice', password: 'correct horse battery staple', token: 'test-token' }

/**
 * Starts the real gateway (src/gateway.ts, as the CLI does) on 127.0.0.1:0 from YAML through the real
 * config loader, secrets through `${VAR}`, logging into memory; everything is closed in `t.after`.
 */
export async function startGateway (t: TestContext, opts: StartGatewayOptions = {}): Promise<TestGateway> {
  const influx = await startFakeInflux(opts.influx)
  t.after(() => influx.close())
  const mints = (opts.users ?? [ALICE]).some((u) => u.mint !== undefined) || (opts.access ?? []).some((r) => r.mint !== undefined)
  const operatorToken = opts.operatorToken === null ? undefined : opts.operatorToken ?? (mints ? influx.tenancy.operatorToken : undefined)
  const { yaml, env } = await buildConfig({ ...opts, operatorToken }, opts.upstreamUrl ?? influx.url)
  const config = parseConfig(yaml, { env, readFile: (path) => readFileSync(path, 'utf8') })
  const lines: string[] = []
  const logWaiters = new Set<() => void>()
  const sink = new Writable({
    write (chunk, _enc, cb) {
      const got = String(chunk).split('\n').filter(Boolean)
      recordLogLines(got, 'gateway')
      if (opts.keepLogs !== false) lines.push(...got)
      for (const wake of [...logWaiters]) wake()
      cb()
    }
  })
  const gateway = await startRealGateway(config, createLogger({ level: 'debug' }, sink), { now: opts.now })
  watchServer(gateway.server)
  t.after(() => gateway.stop(1000))
  return {
    url: gateway.url,
    metricsUrl: gateway.metricsUrl,
    deps: gateway.deps,
    influx,
    get logs () { return lines.map((l) => JSON.parse(l) as Record<string, unknown>) },
    logText: () => lines.join('\n'),
    waitForLog: (predicate) => new Promise((resolve, reject) => {
      const find = (): Record<string, unknown> | undefined => lines.map((l) => JSON.parse(l) as Record<string, unknown>).find(predicate)
      const seen = find()
      if (seen !== undefined) return resolve(seen)
      const wake = (): void => {
        const found = find()
        if (found === undefined) return
        logWaiters.delete(wake)
        clearTimeout(timer)
        resolve(found)
      }
      logWaiters.add(wake)
      const timer = setTimeout(() => {
        logWaiters.delete(wake)
        reject(new Error(`no matching log line within ${LOG_WAIT_MS} ms; lines so far:\n${lines.slice(-20).join('\n')}`))
      }, LOG_WAIT_MS).unref()
    })
  }
}

async function buildConfig (opts: StartGatewayOptions, upstreamUrl: string): Promise<{ yaml: string, env: Record<string, string> }> {
  const env: Record<string, string> = {}
  const secretRef = (name: string, value: string): string => { env[name] = value; return `\${${name}}` }
  recordSecret(opts.jwtSharedSecret, 'jwt-secret')
  recordSecret(opts.operatorToken ?? undefined, 'operator-token')
  for (const u of opts.users ?? [ALICE]) {
    recordSecret(u.password, 'password')
    recordSecret(basic(u.name, u.password).slice('Basic '.length), 'basic-credentials')
    recordSecret(u.token, 'token')
    recordSecret(u.basic?.password, 'basic-password')
    if (u.basic !== undefined) recordSecret(basic(u.basic.username, u.basic.password).slice('Basic '.length), 'basic-credentials')
  }
  const users = await Promise.all((opts.users ?? [ALICE]).map(async (u, i) => ({
    name: u.name,
    passwordHash: await testHash(u.password),
    ...(u.disabled === true ? { disabled: true } : {}),
    ...(u.groups !== undefined ? { groups: u.groups } : {}),
    ...(u.token !== undefined ? { token: secretRef(`U${i}_TOKEN`, u.token) } : {}),
    ...(u.basic !== undefined ? { basic: { username: u.basic.username, password: secretRef(`U${i}_PASSWORD`, u.basic.password) } } : {}),
    ...(u.jwt !== undefined ? { jwt: u.jwt } : {}),
    ...(u.mint !== undefined ? { mint: u.mint } : {})
  })))
  const upstream = {
    url: upstreamUrl,
    // The double is an InfluxDB 2: said, not probed, so no /ping shows up among the requests a test counts.
    ...(opts.upstreamUrl === undefined ? { version: 2 } : {}),
    ...(opts.jwtSharedSecret !== undefined ? { jwtSharedSecret: secretRef('JWT_SECRET', opts.jwtSharedSecret) } : {}),
    ...(typeof opts.operatorToken === 'string' ? { operatorToken: secretRef('INFLUX_OPERATOR_TOKEN', opts.operatorToken) } : {}),
    ...opts.config?.upstream
  }
  const identity = {
    ...(opts.ldap === undefined ? {} : { ldap: { ...opts.ldap, bindPassword: secretRef('LDAP_BIND_PASSWORD', opts.ldap.bindPassword) } }),
    ...(opts.oidc === undefined ? {} : { oidc: { ...opts.oidc, ...(opts.oidc.clientSecret === undefined ? {} : { clientSecret: secretRef('OIDC_CLIENT_SECRET', opts.oidc.clientSecret) }) } }),
    ...(opts.access === undefined ? {} : { access: opts.access.map((r, i) => r.token === undefined ? r : { ...r, token: secretRef(`RULE${i}_TOKEN`, r.token) }) })
  }
  recordSecret(opts.adminApiToken, 'token')
  const adminTokens = opts.adminApiToken === undefined ? {} : { apiTokens: [secretRef('ADMIN_API_TOKEN', opts.adminApiToken)] }
  const gatewayAdmins = { ...opts.config?.gatewayAdmins, ...adminTokens }
  recordSecret(opts.ldap?.bindPassword, 'password')
  recordSecret(opts.oidc?.clientSecret, 'client-secret')
  for (const rule of opts.access ?? []) recordSecret(rule.token, 'token')
  const metrics = opts.config?.metrics ?? { listener: 'main' }
  const doc = { ...opts.config, ...identity, gatewayAdmins, server: { host: '127.0.0.1', port: 0, ...opts.config?.server }, metrics, upstream, log: { level: 'debug' }, users }
  // A Redis URL with a password is a secret in the config: it goes through the environment like the others.
  // Without one it is written inline, as an operator would.
  type RedisSection = { url?: unknown, password?: unknown, sentinelPassword?: unknown }
  const session = (doc as { session?: { store?: unknown, recordKey?: unknown, redis?: RedisSection } }).session
  const redis = session?.redis
  if (typeof redis?.url === 'string' && !redis.url.includes('${') && redisUrlHasPassword(redis.url)) redis.url = secretRef('REDIS_URL', redis.url)
  // Sentinel's two passwords likewise: plain strings in a test's config go through the environment.
  for (const [key, variable] of [['password', 'REDIS_PASSWORD'], ['sentinelPassword', 'REDIS_SENTINEL_PASSWORD']] as const) {
    const value = redis?.[key]
    if (redis === undefined || typeof value !== 'string' || value.includes('${')) continue
    recordSecret(value, 'password')
    redis[key] = secretRef(variable, value)
  }
  // Replicas on one Redis share the key their records are signed with, as they share one config.
  if (session?.store === 'redis' && session.recordKey === undefined) {
    recordSecret(TEST_RECORD_KEY, 'record-key')
    Object.assign(doc, { session: { ...session, recordKey: secretRef('SESSION_RECORD_KEY', TEST_RECORD_KEY) } })
  }
  return { yaml: YAML.stringify(doc), env }
}

/**
 * One hash per password for the whole test process, as replicas sharing a config file share one (a new
 * hash would end the user's sessions). Cheap scrypt cost for speed; the default cost is covered by the
 * password unit tests.
 */
const hashes = new Map<string, Promise<string>>()
function testHash (password: string): Promise<string> {
  let hash = hashes.get(password)
  if (hash === undefined) hashes.set(password, hash = hashPassword(password, { ln: 10, r: 8, p: 1 }))
  return hash
}

/**
 * Fetches `path` through the gateway and asserts the gateway answered it itself with `status`: nothing
 * reached the InfluxDB double. The double's 401 is byte-identical to the gateway's, so the status alone
 * cannot tell a refusal from a request forwarded without a credential.
 */
export async function fetchRefused (gw: TestGateway, path: string, init: RequestInit = {}, status = 401, what = path): Promise<Response> {
  const before = gw.influx.requests.length
  const res = await fetch(`${gw.url}${path}`, init)
  assert.equal(res.status, status, what)
  assert.deepEqual(gw.influx.requests.slice(before).map((r) => `${r.method} ${r.url}`), [], `${what}: nothing may reach InfluxDB`)
  return res
}

/** Basic credentials as an Authorization header value. */
export function basic (name: string, password: string): string {
  return `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`
}

/** Signs in and returns the `Cookie` header value (`influxdb-oss-session=…`). */
export async function signIn (gw: { url: string }, name = ALICE.name, password = ALICE.password): Promise<string> {
  const res = await fetch(`${gw.url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic(name, password) } })
  if (res.status !== 204) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`)
  const setCookie = res.headers.get('set-cookie') ?? ''
  recordSetCookies(setCookie)
  return setCookie.split(';')[0] as string
}
