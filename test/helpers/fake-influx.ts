/**
 * A fake InfluxDB 2 OSS (v2.7.11) for HTTP tests: a plain `node:http` server on 127.0.0.1, port 0, that records
 * every request and answers like InfluxDB does (shapes from InfluxDB's OpenAPI contract, `test/fixtures/influxdb-openapi/oss.yml`),
 * plus `/test/*` routes (token required) for streaming, stalls, resets and hop-by-hop headers.
 *
 * @example
 * ```ts
 * const influx = await startFakeInflux()
 * t.after(() => influx.close())
 * await fetch(`${influx.url}/api/v2/me`, { headers: { authorization: 'Token test-token' } })
 * assert.equal(influx.count('/api/v2/me'), 1)
 * ```
 * @packageDocumentation
 */
import http from 'node:http'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import type { AddressInfo, Socket } from 'node:net'
import { recordRequestCredentials } from './secret-ledger.ts'
import { createTenancy, type Tenancy, type TenancyOptions } from './fake-influx-tenancy.ts'

/** One request as the fake InfluxDB received it. */
export interface RecordedRequest {
  method: string
  /** Raw request target as received, e.g. `/api/v2/buckets?org=x`. */
  url: string
  /** `url` without the query. */
  path: string
  query: URLSearchParams
  headers: http.IncomingHttpHeaders
  /** The first 1 MiB of the body (filled when the body ends). */
  body: Buffer
  /** Total body bytes received so far (final when the body ends). */
  bodyBytes: number
  /** Hex sha256 of the whole body; `''` until the body ends. */
  bodySha256: string
  /** Set (later, by mutation) when the client closed before the response finished. */
  aborted: boolean
}

/** A running fake InfluxDB, see {@link startFakeInflux}. */
export interface FakeInflux {
  /** `http://127.0.0.1:PORT` */
  url: string
  /** Every request in arrival order, recorded as soon as its headers arrive (authorized or not). */
  requests: RecordedRequest[]
  last (): RecordedRequest | undefined
  /** How many requests reached the fake, optionally only those whose path starts with `pathPrefix`. */
  count (pathPrefix?: string): number
  /** Currently open TCP connections to the fake. */
  openSockets (): number
  /**
   * Resolves with the first recorded request matching `predicate` (already recorded ones included); rejects
   * after {@link WAIT_MS} without one.
   */
  waitForRequest (predicate: (r: RecordedRequest) => boolean): Promise<RecordedRequest>
  /** Resolves with the first request matching `predicate` once it is marked `aborted`; rejects after {@link WAIT_MS}. */
  waitForAbort (predicate: (r: RecordedRequest) => boolean): Promise<RecordedRequest>
  /** Ends every stalled `/test/stall-*` response. */
  release (): void
  /** How many `/test/stall-*` responses are parked right now (neither released nor closed). */
  stalledCount (): number
  /** Orgs, users and authorizations: the operator token, the org's ID, the live authorizations. */
  tenancy: Pick<Tenancy, 'operatorToken' | 'orgID' | 'authorizations'>
  /** The next `times` requests `METHOD path…` (path prefix) matching get `status` (an InfluxDB error) instead, whatever their token. */
  failNext (method: string, pathPrefix: string, times: number, status?: number): void
  /** Closes the server and every socket. */
  close (): Promise<void>
}

/** Options for {@link startFakeInflux}. */
export interface FakeInfluxOptions {
  /** Tokens InfluxDB accepts; default `['test-token']`. */
  tokens?: string[]
  /** The operator token, org, users and buckets behind `/api/v2/orgs`, `/users`, `/authorizations`. */
  tenancy?: TenancyOptions
}

/** Answers one route; the result (e.g. a promise waiting for the body) is ignored. */
type Handler = (res: http.ServerResponse, rec: RecordedRequest, body: Promise<void>) => unknown
type Routes = Record<string, Record<string, Handler>>
type Waiter = { predicate: (r: RecordedRequest) => boolean, resolve: (r: RecordedRequest) => void }

const VERSION = 'v2.7.11'
const KEEP_BYTES = 1024 * 1024
const CHUNK_BYTES = 64 * 1024
/** Longest wait of `waitForRequest`/`waitForAbort`: a bug that never sends the request fails, not hangs. */
const WAIT_MS = 30_000
const IDS = { user: '0000000000000001', bucket: '0000000000000002', org: '0000000000000003' }
/** InfluxDB error code per status (kit/transport/http/error_handler.go, spec `Error.code` enum). */
const CODES = new Map<number, string>([
  [400, 'invalid'], [401, 'unauthorized'], [403, 'forbidden'], [404, 'not found'], [405, 'method not allowed'], [413, 'request too large'],
  [415, 'unsupported media type'], [422, 'unprocessable entity'], [429, 'too many requests'], [500, 'internal error'], [501, 'not implemented'], [503, 'unavailable']
])
/** Flux annotated CSV as `/api/v2/query` streams it (CRLF, blank line after each table). */
const CSV = [
  '#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string',
  '#group,false,false,true,true,false,false,true,true',
  '#default,_result,,,,,,,',
  ',result,table,_start,_stop,_time,_value,_field,_measurement',
  ',,0,2018-05-08T20:50:00Z,2018-05-08T20:51:00Z,2018-05-08T20:50:00Z,15.43,temp,home',
  '', ''
].join('\r\n')
const UI_PAGE = '<!doctype html><html><head><title>InfluxDB</title></head><body><div id="react-root"></div></body></html>'
const METRICS = '# HELP influxdb_uptime_seconds influxdb process uptime in seconds\n# TYPE influxdb_uptime_seconds gauge\ninfluxdb_uptime_seconds 1\n'
const BUCKET_SELF = `/api/v2/buckets/${IDS.bucket}`
/** One bucket per the spec's `Bucket` schema. */
const BUCKET = {
  id: IDS.bucket,
  orgID: IDS.org,
  type: 'user',
  name: 'test-bucket',
  description: '',
  schemaType: 'implicit',
  retentionRules: [{ type: 'expire', everySeconds: 0, shardGroupDurationSeconds: 604800 }],
  createdAt: '2024-01-01T00:00:00Z',
  updatedAt: '2024-01-01T00:00:00Z',
  labels: [],
  links: {
    labels: `${BUCKET_SELF}/labels`,
    members: `${BUCKET_SELF}/members`,
    org: `/api/v2/orgs/${IDS.org}`,
    owners: `${BUCKET_SELF}/owners`,
    self: BUCKET_SELF,
    write: `/api/v2/write?org=${IDS.org}&bucket=${IDS.bucket}`
  }
}
/** `GET /api/v2` per the spec's `Routes` schema (a few of them). */
const ROUTES_BODY = {
  buckets: '/api/v2/buckets',
  me: '/api/v2/me',
  query: { self: '/api/v2/query' },
  setup: '/api/v2/setup',
  signin: '/api/v2/signin',
  signout: '/api/v2/signout',
  write: '/api/v2/write',
  system: { metrics: '/metrics', debug: '/debug/pprof', health: '/health' }
}

/** `length` bytes of the `/test/download` pattern from offset `start`: byte i = (i * 31 + 7) & 0xff. */
export function patternBytes (start: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length)
  for (let i = 0; i < length; i++) buf[i] = ((start + i) * 31 + 7) & 0xff
  return buf
}

/** Hex sha256 of the first `n` pattern bytes, hashed in 64 KiB chunks (yields to the event loop). */
export async function sha256OfPattern (n: number): Promise<string> {
  const hash = createHash('sha256')
  const chunk = patternBytes(0, CHUNK_BYTES) // the pattern repeats every 256 bytes, so every chunk is the same
  for (let done = 0; done < n; done += CHUNK_BYTES) {
    hash.update(chunk.subarray(0, Math.min(CHUNK_BYTES, n - done)))
    if (done % (64 * CHUNK_BYTES) === 0) await new Promise(resolve => setImmediate(resolve))
  }
  return hash.digest('hex')
}

function sendText (res: http.ServerResponse, status: number, type: string, text: string, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

function sendJson (res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  sendText(res, status, 'application/json; charset=utf-8', JSON.stringify(body), headers)
}

/** An InfluxDB error: `{"code","message"}` plus `X-Platform-Error-Code`. */
function sendError (res: http.ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { code, message }, { 'X-Platform-Error-Code': code })
}

/**
 * The token a request presents. `Token`/`Bearer` everywhere; on the v1 `/query` and `/write` also Basic with the
 * token as password, and a `p` query parameter, which wins over the header (InfluxDB's v1 auth handler).
 */
function presentedToken (rec: RecordedRequest): string | undefined {
  const v1 = rec.path === '/query' || rec.path === '/write'
  const p = rec.query.get('p')
  if (v1 && p !== null) return p
  const [scheme, value, ...rest] = (rec.headers.authorization ?? '').split(' ')
  if (rest.length > 0 || value === undefined) return undefined
  if (scheme === 'Token' || scheme === 'Bearer') return value
  if (!v1 || scheme !== 'Basic') return undefined
  const decoded = Buffer.from(value, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon < 0 ? undefined : decoded.slice(colon + 1)
}

/** Paths InfluxDB guards with auth; everything else outside the public routes is its UI. */
function isGuarded (path: string): boolean {
  return path === '/query' || path === '/write' || path === '/metrics' ||
    ['/api/', '/debug/', '/legacy/', '/test/'].some(prefix => path.startsWith(prefix))
}

/** Writes `n` pattern bytes in 64 KiB chunks, waiting for `drain` whenever the socket is full. */
function streamPattern (res: http.ServerResponse, n: number): void {
  const chunk = patternBytes(0, CHUNK_BYTES)
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': n })
  let sent = 0
  const pump = (): void => {
    while (sent < n && !res.destroyed) {
      const len = Math.min(CHUNK_BYTES, n - sent)
      sent += len
      if (!res.write(len === CHUNK_BYTES ? chunk : chunk.subarray(0, len))) {
        res.once('drain', pump)
        return
      }
    }
    if (!res.destroyed) res.end()
  }
  pump()
}

function statusRoute (res: http.ServerResponse, rec: RecordedRequest): void {
  const status = Number(rec.query.get('code'))
  if (!Number.isInteger(status) || status < 200 || status > 599) return sendError(res, 400, 'invalid', 'bad code')
  if (status >= 400) return sendError(res, status, CODES.get(status) ?? (status < 500 ? 'invalid' : 'internal error'), 'upstream boom')
  if (status === 204 || status === 304) res.writeHead(status).end()
  else sendJson(res, status, {})
}

function hopRoute (res: http.ServerResponse): void {
  sendJson(res, 200, {}, {
    Connection: 'X-Secret-Hop',
    'X-Secret-Hop': '1',
    'Keep-Alive': 'timeout=17, max=99',
    'Set-Cookie': ['influxdb-oss-session=upstream-value; Path=/api/', 'other=1'],
    Vary: 'Accept-Encoding',
    'X-Upstream': 'yes'
  })
}

function publicRoutes (started: Date): Routes {
  const ping: Handler = (res) => res.writeHead(204, { 'X-Influxdb-Build': 'OSS', 'X-Influxdb-Version': VERSION }).end()
  return {
    '/health': {
      GET: (res) => sendJson(res, 200, { name: 'influxdb', message: 'ready for queries and writes', status: 'pass', checks: [], version: VERSION, commit: 'fbf5d4ab5e' })
    },
    '/ready': {
      GET: (res) => sendJson(res, 200, { status: 'ready', started: started.toISOString(), up: `${(Date.now() - started.getTime()) / 1000}s` })
    },
    '/ping': { GET: ping, HEAD: ping },
    '/api/v2': { GET: (res) => sendJson(res, 200, ROUTES_BODY) },
    '/api/v2/setup': {
      GET: (res) => sendJson(res, 200, { allowed: false }),
      POST: (res) => sendError(res, 422, 'conflict', 'onboarding has already been completed')
    }
  }
}

/** Routes that need a token (v2 API, v1 compat, system). */
const API_ROUTES: Routes = {
  '/api/v2/me': {
    GET: (res) => sendJson(res, 200, { id: IDS.user, name: 'admin', status: 'active', links: { self: `/api/v2/users/${IDS.user}` } })
  },
  '/api/v2/buckets': { GET: (res) => sendJson(res, 200, { links: { self: '/api/v2/buckets' }, buckets: [BUCKET] }) },
  '/api/v2/write': {
    POST: (res, rec, body) => {
      if (!rec.query.has('org') && !rec.query.has('orgID')) return sendError(res, 400, 'invalid', 'Please provide either orgID or org')
      if (!rec.query.has('bucket')) return sendError(res, 400, 'invalid', 'Please provide bucket')
      return body.then(() => res.writeHead(204).end())
    }
  },
  '/api/v2/query': { POST: (res, _rec, body) => body.then(() => sendText(res, 200, 'text/csv; charset=utf-8', CSV)) },
  '/write': {
    POST: (res, rec, body) => {
      if (!rec.query.has('db')) return sendError(res, 400, 'invalid', 'database is required')
      return body.then(() => res.writeHead(204).end())
    }
  },
  '/query': {
    GET: (res) => sendJson(res, 200, { results: [{ statement_id: 0 }] }),
    POST: (res, _rec, body) => body.then(() => sendJson(res, 200, { results: [{ statement_id: 0 }] }))
  },
  '/metrics': { GET: (res) => sendText(res, 200, 'text/plain; version=0.0.4; charset=utf-8', METRICS) },
  '/debug/vars': { GET: (res) => sendJson(res, 200, {}) }
}

/** Raw bytes `/test/malformed` writes on the socket instead of a response: `?kind=status` (default) or `chunked`. */
const MALFORMED: Record<string, string> = {
  status: 'HTTP/1.1 abc\r\n\r\n',
  chunked: 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Upstream: malformed\r\nSet-Cookie: upstream=1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnot a chunk\r\n'
}

/**
 * `/test/<name>` routes (any method). `stall` parks a response until `release()`; `kill` resets its socket;
 * `raw` writes bytes on the socket, bypassing HTTP, and leaves it open (the client must close it).
 */
function testRoutes (
  stall: (res: http.ServerResponse, finish: () => void) => void,
  kill: (res: http.ServerResponse) => void,
  raw: (res: http.ServerResponse, bytes: string) => void
): Record<string, Handler> {
  return {
    download: (res, rec) => {
      const n = Number(rec.query.get('bytes'))
      if (!Number.isSafeInteger(n) || n < 0) return sendError(res, 400, 'invalid', 'bytes must be a non-negative integer')
      streamPattern(res, n)
    },
    upload: (res, rec, body) => body.then(() => sendJson(res, 200, { bytes: rec.bodyBytes, sha256: rec.bodySha256 })),
    'stall-headers': (res) => stall(res, () => sendJson(res, 200, {})),
    'stall-body': (res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' })
      res.write('partial')
      stall(res, () => res.end('-done'))
    },
    hop: (res) => hopRoute(res),
    // One Set-Cookie (as a sticky load balancer sends) and one header twice.
    'one-cookie': (res, rec) => sendJson(res, 200, {}, { 'Set-Cookie': `${rec.query.get('name') ?? 'lb'}=1; Path=/`, 'X-Twice': ['a', 'b'] }),
    echo: (res, rec) => sendJson(res, 200, rec.headers),
    // Answers with an X-Request-Id of its own (as InfluxDB 1.x does), whatever id it was sent.
    'own-request-id': (res) => sendJson(res, 200, {}, { 'X-Request-Id': 'influxdb-made-this-up', 'Request-Id': 'influxdb-made-this-up' }),
    status: (res, rec) => statusRoute(res, rec),
    reset: (res) => kill(res),
    'reset-mid': (res) => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': 1024 })
      res.write(patternBytes(0, 100), () => kill(res))
    },
    malformed: (res, rec) => raw(res, MALFORMED[rec.query.get('kind') ?? 'status'] ?? MALFORMED.status as string)
  }
}

function newRecord (req: http.IncomingMessage): RecordedRequest {
  const url = req.url ?? '/'
  const q = url.indexOf('?')
  const path = q < 0 ? url : url.slice(0, q)
  const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1))
  return { method: req.method ?? 'GET', url, path, query, headers: req.headers, body: Buffer.alloc(0), bodyBytes: 0, bodySha256: '', aborted: false }
}

/** Consumes the request body into `rec`; resolves when it has ended. */
function captureBody (req: http.IncomingMessage, rec: RecordedRequest): Promise<void> {
  const hash = createHash('sha256')
  const kept: Buffer[] = []
  let keptBytes = 0
  req.on('data', (chunk: Buffer) => {
    rec.bodyBytes += chunk.length
    hash.update(chunk)
    if (keptBytes < KEEP_BYTES) kept.push(chunk.subarray(0, KEEP_BYTES - keptBytes))
    keptBytes = Math.min(KEEP_BYTES, keptBytes + chunk.length)
  })
  return new Promise(resolve => req.on('end', () => {
    rec.body = Buffer.concat(kept)
    rec.bodySha256 = hash.digest('hex')
    resolve()
  }))
}

/** Starts a fake InfluxDB 2 OSS on 127.0.0.1, port 0; close it with `close()` (e.g. in `t.after`). */
export async function startFakeInflux (opts: FakeInfluxOptions = {}): Promise<FakeInflux> {
  const tokens = new Set(opts.tokens ?? ['test-token'])
  const requests: RecordedRequest[] = []
  const sockets = new Set<Socket>()
  const stalled = new Set<() => void>()
  const killed = new WeakSet<http.ServerResponse>()
  const requestWaiters = new Set<Waiter>()
  const abortWaiters = new Set<Waiter>()
  let closing = false

  const notify = (waiters: Set<Waiter>, rec: RecordedRequest): void => {
    for (const w of waiters) if (w.predicate(rec)) { waiters.delete(w); w.resolve(rec) }
  }
  const waitFor = (waiters: Set<Waiter>, what: string, predicate: (r: RecordedRequest) => boolean) => new Promise<RecordedRequest>((resolve, reject) => {
    const found = requests.find(predicate)
    if (found !== undefined) return resolve(found)
    const seen = (): string => requests.map(r => `${r.method} ${r.path}${r.aborted ? ' (aborted)' : ''}`).join(', ')
    const waiter: Waiter = { predicate, resolve: (r) => { clearTimeout(timer); resolve(r) } }
    // Unref'd: a wait nobody awaits any more does not keep the test process alive.
    const timer = setTimeout(() => {
      waiters.delete(waiter)
      reject(new Error(`fake influx: no matching ${what} within ${WAIT_MS} ms; requests so far: ${seen() || 'none'}`))
    }, WAIT_MS).unref()
    waiters.add(waiter)
  })
  const stall = (res: http.ServerResponse, finish: () => void): void => {
    const fn = (): void => {
      stalled.delete(fn)
      if (!res.destroyed) finish()
    }
    stalled.add(fn)
    res.on('close', () => stalled.delete(fn))
  }
  const kill = (res: http.ServerResponse): void => { killed.add(res); res.socket?.destroy() }
  const raw = (res: http.ServerResponse, bytes: string): void => { killed.add(res); res.socket?.write(bytes) }
  const pub = publicRoutes(new Date())
  const tests = testRoutes(stall, kill, raw)
  const tenancy = createTenancy(opts.tenancy ?? {}, (res, status, body) => sendJson(res, status, body), sendError)
  const faults: Array<{ method: string, pathPrefix: string, left: number, status: number }> = []
  const takeFault = (rec: RecordedRequest): number | undefined => {
    const fault = faults.find((f) => f.left > 0 && f.method === rec.method && rec.path.startsWith(f.pathPrefix))
    if (fault === undefined) return undefined
    fault.left--
    return fault.status
  }

  const route: Handler = (res, rec, body) => {
    const open = pub[rec.path]?.[rec.method]
    if (open !== undefined) return open(res, rec, body)
    if (!isGuarded(rec.path)) return sendText(res, 200, 'text/html; charset=utf-8', UI_PAGE)
    const failWith = takeFault(rec)
    if (failWith !== undefined) return sendError(res, failWith, CODES.get(failWith) ?? 'internal error', 'injected failure')
    const token = presentedToken(rec)
    if (token === undefined || (!tokens.has(token) && !tenancy.accepts(token))) return sendError(res, 401, 'unauthorized', 'unauthorized access')
    if (tenancy.route(res, rec, body, token)) return
    const test = rec.path.startsWith('/test/') ? tests[rec.path.slice('/test/'.length)] : undefined
    if (test !== undefined) return test(res, rec, body)
    const methods = API_ROUTES[rec.path] ?? pub[rec.path]
    if (methods === undefined) return sendError(res, 404, 'not found', 'path not found')
    const handler = methods[rec.method]
    if (handler === undefined) return sendError(res, 405, 'method not allowed', 'method not allowed')
    return handler(res, rec, body)
  }

  const server = http.createServer((req, res) => {
    const rec = newRecord(req)
    recordRequestCredentials(req.headers, req.url) // the upstream credentials the gateway sends, minted JWTs included
    const body = captureBody(req, rec)
    res.on('close', () => {
      if (res.writableFinished || closing || killed.has(res)) return
      rec.aborted = true
      notify(abortWaiters, rec)
    })
    requests.push(rec)
    notify(requestWaiters, rec)
    // Like InfluxDB 2 (kit/transport/http SetCORS): any Origin is echoed, so the gateway must replace it.
    if (req.headers.origin !== undefined) {
      res.setHeader('Access-Control-Allow-Origin', req.headers.origin)
      res.setHeader('Access-Control-Allow-Methods', 'POST, GET, OPTIONS, PUT, PATCH, DELETE')
      res.setHeader('Access-Control-Allow-Headers', 'Accept, Content-Type, Content-Length, Accept-Encoding, Authorization, User-Agent')
    }
    route(res, rec, body)
  })
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.listen(0, '127.0.0.1')
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    last: () => requests.at(-1),
    count: (pathPrefix = '') => requests.filter(r => r.path.startsWith(pathPrefix)).length,
    openSockets: () => sockets.size,
    waitForRequest: (predicate) => waitFor(requestWaiters, 'request', predicate),
    waitForAbort: (predicate) => waitFor(abortWaiters, 'aborted request', r => r.aborted && predicate(r)),
    release: () => { for (const fn of [...stalled]) fn() },
    stalledCount: () => stalled.size,
    tenancy,
    failNext: (method, pathPrefix, times, status = 503) => { faults.push({ method, pathPrefix, left: times, status }) },
    close: async () => {
      closing = true
      const closed = new Promise<void>(resolve => server.close(() => resolve()))
      server.closeAllConnections()
      const pending = [...sockets].map(socket => once(socket, 'close'))
      for (const socket of sockets) socket.destroy()
      await Promise.all([closed, ...pending])
    }
  }
}
