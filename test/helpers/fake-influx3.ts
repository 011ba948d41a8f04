/**
 * A fake InfluxDB 3 (Core or Enterprise, v3.10.0) for HTTP tests: a `node:http` server on 127.0.0.1, port 0,
 * that records every request and answers as InfluxDB 3 does, after its OpenAPI contracts
 * (`test/fixtures/influxdb3-openapi/`) and, where they are silent or wrong, its source: what it models and
 * where each fact comes from is in `fake-influx3.md` next to this file.
 *
 * @example
 * ```ts
 * const influx3 = await startFakeInflux3({ build: 'Enterprise', databases: ['telemetry'] })
 * t.after(() => influx3.close())
 * await fetch(`${influx3.url}/api/v3/write_lp?db=telemetry`, { method: 'POST', headers: { authorization: `Bearer ${influx3.operatorToken()}` }, body: 'm v=1' })
 * assert.equal(influx3.lineProtocol('telemetry'), 'm v=1')
 * ```
 * @packageDocumentation
 */
import http from 'node:http'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import type { AddressInfo, Socket } from 'node:net'
import { routeTokens, TOKEN_PATHS } from './fake-influx3-admin.ts'
import { failJson, failText, MALFORMED_AUTH, presentedToken, type Influx3Call, type Influx3Request, type Reply } from './fake-influx3-http.ts'
import { routeQuery, type Influx3Query } from './fake-influx3-queries.ts'
import { systemRoute } from './fake-influx3-system.ts'
import { createInflux3Tokens, type Influx3Tokens } from './fake-influx3-tokens.ts'
import { createInflux3Data, type Influx3Write } from './fake-influx3-writes.ts'
import type { Influx3Build } from './openapi-influxdb3.ts'
import { recordRequestCredentials } from './secret-ledger.ts'

/** Options for {@link startFakeInflux3}. */
export interface FakeInflux3Options {
  /** Default `Core`. */
  build?: Influx3Build
  /** `x-influxdb-version`; default `3.10.0`. */
  version?: string
  /** The operator's `_admin` token; default {@link INFLUX3_OPERATOR_TOKEN}; `null`: none yet (the bootstrap route creates it). */
  operatorToken?: string | null
  /** Databases besides `_internal`. */
  databases?: string[]
  /** InfluxDB 3's clock (token creation and expiry), epoch ms; default `Date.now`. */
  now?: () => number
  /** Routes served without a token, as `influxdb3 serve --disable-authz health,ping,metrics` does. */
  disableAuthz?: Array<'health' | 'ping' | 'metrics'>
}

/** A running InfluxDB 3 double, see {@link startFakeInflux3}. */
export interface FakeInflux3 {
  /** `http://127.0.0.1:PORT` */
  url: string
  build: Influx3Build
  /** Every request in arrival order, recorded as its headers arrive (authenticated or not). */
  requests: Influx3Request[]
  last (): Influx3Request | undefined
  /** How many requests reached the double, optionally only those whose path starts with `pathPrefix`. */
  count (pathPrefix?: string): number
  /** The `_admin` token now (it changes on regenerate); undefined before the bootstrap. */
  operatorToken (): string | undefined
  /** Every stored token (expired ones included), with its secret. */
  tokens: Influx3Tokens['all']
  /** Live databases, `_internal` included. */
  databases (): string[]
  /** Accepted writes, in order. */
  writes: Influx3Write[]
  /** Everything written to `db` (newline-joined). */
  lineProtocol (db: string): string
  /** Every query that reached a query route (before its database was checked). */
  queries: Influx3Query[]
  /** Resolves with the first request matching `predicate` once answered (earlier ones included); rejects after 30 s. */
  waitForRequest (predicate: (r: Influx3Request) => boolean): Promise<Influx3Request>
  /** The next `times` requests `METHOD path…` (path prefix) get `status` (plain text, as InfluxDB 3's errors) instead, whatever their token. */
  failNext (method: string, pathPrefix: string, times: number, status?: number): void
  close (): Promise<void>
}

/** The double's default operator token (recorded in the log-secret ledger). */
export const INFLUX3_OPERATOR_TOKEN = 'apiv3_operator-token-0123456789abcdef'

const UNAUTHENTICATED = 'the request was not authenticated'
/** Paths `--disable-authz` can open, by its names (`all_paths.rs`). */
const OPENABLE = { health: ['/health', '/api/v1/health'], ping: ['/ping'], metrics: ['/metrics'] } as const
/** Longest wait of `waitForRequest`: a bug that never sends the request fails, not hangs. */
const WAIT_MS = 30_000

/** Administration: what only an admin token may do on Enterprise (every token is an admin token on Core). */
function isAdminRoute (path: string): boolean {
  return path.startsWith('/api/v3/configure/') || path.startsWith('/api/v3/enterprise/')
}

/** Starts the double; close it with `close()`. */
export async function startFakeInflux3 (opts: FakeInflux3Options = {}): Promise<FakeInflux3> {
  const build = opts.build ?? 'Core'
  const version = opts.version ?? '3.10.0'
  const now = opts.now ?? Date.now
  const tokens = createInflux3Tokens({ operatorToken: opts.operatorToken === null ? undefined : opts.operatorToken ?? INFLUX3_OPERATOR_TOKEN, now })
  const data = createInflux3Data(opts.databases ?? [])
  const queries: Influx3Query[] = []
  const open = new Set<string>((opts.disableAuthz ?? []).flatMap((name) => OPENABLE[name]))
  const requests: Influx3Request[] = []
  const sockets = new Set<Socket>()
  const clusterUuid = randomUUID()
  const answered: Influx3Request[] = []
  const waiters: Array<{ predicate: (r: Influx3Request) => boolean, resolve: (r: Influx3Request) => void }> = []
  const faults: Array<{ method: string, pathPrefix: string, left: number, status: number }> = []
  const may = (call: Influx3Call, action: 'read' | 'write', db: string): boolean => call.token === undefined || tokens.can(call.token, action, db)

  /** `perform_routing`: preflight, then authentication (but for the admin bootstrap and opened paths), then the routes. */
  async function route (rec: Influx3Request): Promise<Reply> {
    if (rec.method === 'OPTIONS') {
      return { status: 204, headers: { 'access-control-allow-methods': '*', 'access-control-allow-headers': '*', 'access-control-max-age': '86400' }, cors: true }
    }
    const fault = faults.find((f) => f.left > 0 && f.method === rec.method && rec.path.startsWith(f.pathPrefix))
    if (fault !== undefined) {
      fault.left--
      return failText(fault.status, 'injected failure')
    }
    const call: Influx3Call = { rec, token: undefined }
    if (rec.path !== TOKEN_PATHS.admin && !open.has(rec.path)) {
      const secret = presentedToken(rec.path, rec.query, rec.headers.authorization)
      if (secret === null) return failJson(400, MALFORMED_AUTH)
      call.token = secret === undefined ? undefined : tokens.authenticate(secret)
      if (call.token === undefined) return failJson(401, UNAUTHENTICATED)
      rec.tokenName = call.token.name
      // SECURITY: on Enterprise a resource token reaches no administration route.
      if (isAdminRoute(rec.path) && call.token.permissions !== 'admin') return failText(403, '')
    }
    return systemRoute(call, build, version) ??
      routeTokens(call, tokens, build === 'Enterprise', data.databases) ??
      data.route(call, (db) => may(call, 'write', db)) ??
      await routeQuery(call, { databases: data.databases, mayRead: (c, db) => may(c, 'read', db), tokenRows: tokens.systemRows, queries }) ??
      failText(404, 'Not found')
  }

  const server = http.createServer((req, res) => {
    recordRequestCredentials(req.headers, req.url)
    const url = req.url ?? '/'
    const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '')
    const path = url.split('?')[0] ?? '/'
    const presented = presentedToken(path, query, req.headers.authorization) ?? undefined
    const rec: Influx3Request = {
      method: req.method ?? 'GET',
      url,
      path,
      query,
      headers: req.headers,
      contentType: req.headers['content-type'],
      body: Buffer.alloc(0),
      presented,
      tokenName: undefined,
      databases: []
    }
    requests.push(rec)
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      rec.body = Buffer.concat(chunks)
      route(rec).then((reply) => {
        const headers: Record<string, string> = { 'cluster-uuid': clusterUuid, ...reply.headers }
        if (reply.cors) headers['access-control-allow-origin'] = '*'
        if (reply.status !== 204) headers['content-length'] = String(Buffer.byteLength(reply.body ?? ''))
        res.writeHead(reply.status, headers).end(reply.body)
        answered.push(rec)
        for (const w of waiters.filter((x) => x.predicate(rec))) waiters.splice(waiters.indexOf(w), 1)[0]?.resolve(rec)
      }).catch((err: unknown) => res.writeHead(500).end(String(err)))
    })
  })
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    build,
    requests,
    last: () => requests.at(-1),
    count: (pathPrefix = '') => requests.filter((r) => r.path.startsWith(pathPrefix)).length,
    operatorToken: () => tokens.all().find((t) => t.name === '_admin')?.secret,
    tokens: tokens.all,
    databases: data.databases,
    writes: data.writes,
    lineProtocol: data.lineProtocol,
    queries,
    waitForRequest: async (predicate) => {
      const found = answered.find(predicate)
      if (found !== undefined) return found
      return await new Promise<Influx3Request>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no such request reached the InfluxDB 3 double')), WAIT_MS)
        waiters.push({ predicate, resolve: (r) => { clearTimeout(timer); resolve(r) } })
      })
    },
    failNext: (method, pathPrefix, times, status = 503) => { faults.push({ method, pathPrefix, left: times, status }) },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      for (const socket of sockets) socket.destroy()
      await closed
    }
  }
}
