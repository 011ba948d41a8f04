/**
 * Property-based tests (fast-check) of the gateway against hostile input: Authorization and Cookie
 * headers, request paths, query strings, and the error bodies it answers with. Each property runs
 * against one real gateway and its InfluxDB double, over raw TCP (fetch refuses many of these
 * requests). `FUZZ_RUNS` sets the cases per property (default 200; `npm run fuzz` runs thousands);
 * `FUZZ_SEED` and `FUZZ_PATH`, as printed by a failure, replay it.
 * @packageDocumentation
 */
import assert from 'node:assert/strict'
import { connect, createServer, type AddressInfo, type Socket } from 'node:net'
import { test, type TestContext } from 'node:test'
import fc from 'fast-check'
import { STATUS } from '../../src/errors.ts'
import type { RecordedRequest } from '../helpers/fake-influx.ts'
import { signIn, startGateway, type TestGateway } from '../helpers/gateway.ts'
import {
  authorizationValue, carriesSession, COOKIE_NAME, credentialHeaders, headerValues, hostilePath, idMutation,
  latin1Text, mayReachUpstreamWithoutCredentials, pathReadings, percentDecode, presentsToken, PROTECTED_REQUESTS, queryParamNames, queryString,
  renderRequest, renderValue, type HeaderSpec, type Piece, type RenderedRequest, type RequestSpec
} from './arbitraries.ts'

/** Cases per property. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 200)
/** Replays a reported failure. */
const REPLAY = {
  ...(process.env.FUZZ_SEED === undefined ? {} : { seed: Number(process.env.FUZZ_SEED) }),
  ...(process.env.FUZZ_PATH === undefined ? {} : { path: process.env.FUZZ_PATH })
}
const OPTIONS = { numRuns: RUNS, includeErrorInReport: true, ...REPLAY }
/** The longest one exchange may take before the property fails with "no answer". */
const EXCHANGE_TIMEOUT_MS = 10_000
/** What must never appear in an error body: stack frames, error class prefixes, source paths. */
const LEAK = /(?:^|\n)\s*at \S|\bat \S+ \(|Error:|\/src\/|node:internal|file:\/\/|\.ts:\d+/
/** Gateway statuses with no code of their own in InfluxDB's table. */
const EXTRA_STATUS = new Map([[408, 'invalid'], [431, 'request too large'], [502, 'unavailable'], [504, 'unavailable']])

/** A response as read off the socket. */
interface Reply { status: number, headers: Map<string, string[]>, body: string, raw: string }

/**
 * One request, its answer, and what reached InfluxDB meanwhile: the requests the double recorded,
 * and the bytes the gateway sent towards it (which also counts requests the double's own parser
 * refused before recording them, e.g. a head it finds too large).
 */
interface Exchange { req: RenderedRequest, reply: Reply, upstream: RecordedRequest[], upstreamBytes: number }

/** A gateway whose upstream traffic passes through a byte-counting TCP relay to its InfluxDB double. */
interface Harness { gw: TestGateway, upstreamBytes: () => number }

/**
 * Starts the gateway (one per test) with its upstream pointed at a TCP relay in front of the
 * double, so that "nothing reached InfluxDB" means not a single byte, not only "nothing recorded".
 */
async function startHarness (t: TestContext): Promise<Harness> {
  let target = 0
  let bytes = 0
  const sockets = new Set<Socket>()
  const track = (s: Socket): void => { sockets.add(s); s.on('close', () => sockets.delete(s)) }
  const relay = createServer((client) => {
    const upstream = connect(target, '127.0.0.1')
    track(client)
    track(upstream)
    client.on('data', (d: Buffer) => { bytes += d.length })
    client.pipe(upstream)
    upstream.pipe(client)
    client.on('error', () => upstream.destroy()).on('close', () => upstream.destroy())
    upstream.on('error', () => client.destroy()).on('close', () => client.destroy())
  })
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve))
  t.after(async () => {
    const closed = new Promise((resolve) => relay.close(resolve))
    for (const s of sockets) s.destroy()
    await closed
  })
  const gw = await startGateway(t, { upstreamUrl: `http://127.0.0.1:${(relay.address() as AddressInfo).port}` })
  target = Number(new URL(gw.influx.url).port)
  return { gw, upstreamBytes: () => bytes }
}

/** The request as bytes: latin1, one header per line, `Connection: close` so the answer ends with the socket. */
function toWire (req: RenderedRequest, host: string): Buffer {
  const body = req.body ?? ''
  const lines = [`${req.method} ${req.target} HTTP/1.1`, `Host: ${host}`, ...req.headers.map(([n, v]) => `${n}: ${v}`)]
  if (req.body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(body, 'latin1')}`)
  lines.push('Connection: close')
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'latin1')
}

/** Decodes a chunked body (extensions and trailers ignored). */
function dechunk (text: string): string {
  let out = ''
  let at = 0
  for (;;) {
    const eol = text.indexOf('\r\n', at)
    if (eol < 0) return out
    const size = parseInt(text.slice(at, eol), 16)
    if (!Number.isFinite(size) || size === 0) return out
    out += text.slice(eol + 2, eol + 2 + size)
    at = eol + 2 + size + 2
  }
}

/** Parses what the gateway wrote: interim 1xx answers skipped, body framed by chunking or length. */
function parseReply (raw: string, method: string): Reply {
  let rest = raw
  for (;;) {
    const end = rest.indexOf('\r\n\r\n')
    const head = end < 0 ? rest : rest.slice(0, end)
    const [statusLine = '', ...lines] = head.split('\r\n')
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0)
    rest = end < 0 ? '' : rest.slice(end + 4)
    if (status >= 100 && status < 200) continue
    const headers = new Map<string, string[]>()
    for (const line of lines) {
      const colon = line.indexOf(':')
      const name = line.slice(0, colon).trim().toLowerCase()
      headers.set(name, [...headers.get(name) ?? [], line.slice(colon + 1).trim()])
    }
    const length = headers.get('content-length')?.[0]
    let body = rest
    if (method === 'HEAD' || status === 204 || status === 304) body = ''
    else if (headers.get('transfer-encoding')?.some((v) => /chunked/i.test(v)) === true) body = dechunk(rest)
    else if (length !== undefined) body = rest.slice(0, Number(length))
    return { status, headers, body: Buffer.from(body, 'latin1').toString('utf8'), raw }
  }
}

/** Sends one request over a fresh connection; resolves when the gateway closes it. */
function send (gw: TestGateway, req: RenderedRequest): Promise<Reply> {
  const { hostname, port } = new URL(gw.url)
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    // write, not end: a half-closed connection may be dropped before it is answered.
    const socket = connect(Number(port), hostname, () => socket.write(toWire(req, `${hostname}:${port}`)))
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no answer within ${EXCHANGE_TIMEOUT_MS} ms`))
    }, EXCHANGE_TIMEOUT_MS)
    socket.on('data', (d: Buffer) => chunks.push(d))
    // The gateway may close before reading everything we sent (e.g. 431): an RST then is an answer's end.
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(parseReply(Buffer.concat(chunks).toString('latin1'), req.method))
    })
  })
}

/** Sends `req` and collects what reached InfluxDB in the meantime. */
async function exchange ({ gw, upstreamBytes }: Harness, req: RenderedRequest): Promise<Exchange> {
  const before = gw.influx.requests.length
  const bytesBefore = upstreamBytes()
  const reply = await send(gw, req)
  return { req, reply, upstream: gw.influx.requests.slice(before), upstreamBytes: upstreamBytes() - bytesBefore }
}

/** Whether anything at all went upstream during the exchange. */
function reachedUpstream (ex: Exchange): boolean {
  return ex.upstream.length > 0 || ex.upstreamBytes > 0
}

/** A value for a failure message: escaped, and shortened when huge. */
function show (text: string): string {
  const shown = JSON.stringify(text.length > 240 ? `${text.slice(0, 200)}…${text.slice(-20)}` : text)
  return text.length > 240 ? `${shown} (${text.length} chars)` : shown
}

/** The whole exchange, for a failure message. */
function describe ({ req, reply, upstream, upstreamBytes }: Exchange): string {
  return [
    `request: ${req.method} ${show(req.target)}`,
    ...req.headers.map(([n, v]) => `  ${n}: ${show(v)}`),
    ...(req.body === undefined ? [] : [`  body: ${show(req.body)}`]),
    `answer: ${reply.status} x-platform-error-code=${show(reply.headers.get('x-platform-error-code')?.join(',') ?? '')} body ${show(reply.body)}`,
    `  as received (${reply.raw.length} bytes): ${show(reply.raw)}`,
    `reached InfluxDB: ${upstreamBytes} bytes, ${upstream.length} recorded request(s)`,
    ...upstream.map((r) => `  ${r.method} ${show(r.url)} authorization=${show(r.headers.authorization ?? '')} cookie=${show(r.headers.cookie ?? '')}`)
  ].join('\n')
}

/**
 * Error bodies: none ever holds a stack trace or a source path; the gateway's own (nothing reached
 * InfluxDB) are exactly `{"code","message"}` JSON with `X-Platform-Error-Code` equal to the code.
 */
function assertErrorBody (ex: Exchange): void {
  const { reply } = ex
  if (reply.status < 400) return
  assert.doesNotMatch(reply.body, LEAK, `an error body leaks internals\n${describe(ex)}`)
  if (reachedUpstream(ex)) return
  const code = reply.headers.get('x-platform-error-code') ?? []
  assert.equal(code.length, 1, `the gateway's ${reply.status} has no single X-Platform-Error-Code\n${describe(ex)}`)
  const [header = ''] = code
  const expected = STATUS[header as keyof typeof STATUS] ?? -1
  assert.ok(expected === reply.status || EXTRA_STATUS.get(reply.status) === header, `code ${show(header)} does not fit status ${reply.status}\n${describe(ex)}`)
  if (ex.req.method === 'HEAD') return
  assert.equal(reply.headers.get('content-type')?.[0], 'application/json; charset=utf-8', `error body is not JSON\n${describe(ex)}`)
  let parsed: unknown
  assert.doesNotThrow(() => { parsed = JSON.parse(reply.body) }, `error body does not parse\n${describe(ex)}`)
  assert.ok(typeof parsed === 'object' && parsed !== null, `error body is not an object\n${describe(ex)}`)
  const body = parsed as Record<string, unknown>
  assert.deepEqual(Object.keys(body).sort(), ['code', 'message'], `error body is not {code, message}\n${describe(ex)}`)
  assert.equal(typeof body.message, 'string', `message is not a string\n${describe(ex)}`)
  assert.equal(body.code, header, `body code and X-Platform-Error-Code differ\n${describe(ex)}`)
}

/** Never a 5xx, and never no answer at all. */
function assertAnswered (ex: Exchange): void {
  assert.ok(ex.reply.status >= 200, `no HTTP answer\n${describe(ex)}`)
  assert.ok(ex.reply.status < 500, `a 5xx\n${describe(ex)}`)
}

/** The session id in a `Cookie` value from {@link signIn}. */
function sessionIdOf (cookie: string): string {
  return cookie.slice(cookie.indexOf('=') + 1)
}

/** Counts for the test's diagnostic line. */
function tally (): { add: (key: string) => void, toString: () => string } {
  const counts = new Map<string, number>()
  return {
    add: (key) => counts.set(key, (counts.get(key) ?? 0) + 1),
    toString: () => [...counts].map(([k, n]) => `${n} ${k}`).join(', ')
  }
}

test('Authorization and Cookie headers: never a 5xx, and nothing reaches InfluxDB without a live session or a Token/Bearer', async (t) => {
  const h = await startHarness(t)
  const { gw } = h
  const id = sessionIdOf(await signIn(gw))
  const seen = tally()
  const arb = fc.record({ route: fc.constantFrom(...PROTECTED_REQUESTS), headers: credentialHeaders() })
    .map(({ route, headers }): RequestSpec => ({ ...route, headers }))
  await fc.assert(fc.asyncProperty(arb, async (spec) => {
    const req = renderRequest(spec, id)
    const ex = await exchange(h, req)
    const token = presentsToken(headerValues(req, 'authorization'))
    const session = carriesSession(headerValues(req, 'cookie'), id)
    seen.add('cases')
    if (token) seen.add('with a Token/Bearer')
    if (session) seen.add('with the live session')
    if (reachedUpstream(ex)) seen.add('reached InfluxDB')
    assertAnswered(ex)
    if (!token && !session) assert.ok(!reachedUpstream(ex), `reached InfluxDB without a session or a token\n${describe(ex)}`)
    assertErrorBody(ex)
  }), OPTIONS)
  assert.notEqual(await gw.deps.sessions.get(id, { renew: false }), undefined, 'the session stayed live throughout')
  t.diagnostic(String(seen))
})

test('paths: without credentials nothing under a protected prefix, however spelled, reaches InfluxDB; never a 5xx', async (t) => {
  const h = await startHarness(t)
  const seen = tally()
  const method = fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH')
  const arb = fc.record({ method, path: hostilePath(), query: queryString() })
    .map(({ method, path, query }): RequestSpec => ({ method, target: path + query, headers: [] }))
  await fc.assert(fc.asyncProperty(arb, async (spec) => {
    const ex = await exchange(h, renderRequest(spec, ''))
    seen.add('cases')
    if (reachedUpstream(ex)) seen.add('reached InfluxDB')
    if (ex.reply.status === 401) seen.add('got 401')
    if (ex.reply.status === 400) seen.add('got 400')
    assertAnswered(ex)
    for (const rec of ex.upstream) {
      assert.ok(mayReachUpstreamWithoutCredentials(rec.method, rec.path),
        `a protected route reached InfluxDB without credentials (as ${show(pathReadings(rec.path).join(' | '))})\n${describe(ex)}`)
      assert.ok(!pathReadings(rec.path).some((p) => /^\/gateway(\/|$)/i.test(p)), `the gateway's own prefix was forwarded\n${describe(ex)}`)
    }
    assertErrorBody(ex)
  }), OPTIONS)
  t.diagnostic(String(seen))
})

/** Routes a signed-in user calls, with the query the property appends to. */
const SESSION_ROUTES: ReadonlyArray<Omit<RequestSpec, 'headers'>> = [
  { method: 'GET', target: '/query' },
  { method: 'POST', target: '/query', body: ['q=SHOW+DATABASES'] },
  { method: 'POST', target: '/write', body: ['m v=1'] },
  { method: 'GET', target: '/api/v2/buckets' },
  { method: 'POST', target: '/api/v2/write', body: ['m v=1'] },
  { method: 'GET', target: '/metrics' }
]

/** The query pairs (split on `&` and `;`, non-empty) other than `u`/`p`, percent-decoded: what a server makes of them. */
function otherPairs (target: string): string[] {
  const q = target.indexOf('?')
  if (q < 0) return []
  return target.slice(q + 1).split(/[&;]/)
    .filter((pair) => pair !== '' && !['u', 'p'].includes(queryParamNames(`?${pair}`)[0] ?? ''))
    .map(percentDecode)
}

test('with a session, the forwarded request has no u/p parameter in any spelling, no session cookie, and the user\'s token', async (t) => {
  const h = await startHarness(t)
  const { gw } = h
  const id = sessionIdOf(await signIn(gw))
  const seen = tally()
  // Other cookies around ours, including up to three of our name that are not the live session.
  const stale = fc.oneof(
    fc.tuple(fc.constantFrom('theme', 'lang', 'a', 'Token'), fc.string({ unit: fc.constantFrom(...'abcXYZ019=-_.'), maxLength: 12 }))
      .map(([n, v]): Piece[] => [`${n}=${v}`]),
    idMutation().filter((m) => m.op !== 'as-is' && m.op !== 'pad').map((m): Piece[] => [`${COOKIE_NAME}=`, { session: m }]),
    latin1Text(30).filter((v) => !v.includes(';')).map((v): Piece[] => [`${COOKIE_NAME}=${v}`])
  )
  const cookie = fc.tuple(fc.array(stale, { maxLength: 3 }), fc.array(stale, { maxLength: 3 }), fc.constantFrom('; ', ';', ' ;\t'))
    .map(([before, after, sep]): HeaderSpec => {
      const items: Piece[][] = [...before, [`${COOKIE_NAME}=`, { session: { op: 'as-is' } }], ...after]
      return { name: 'Cookie', value: items.flatMap((item, i) => i === 0 ? item : [sep, ...item]) }
    })
  const auth = fc.option(authorizationValue().filter((v) => !presentsToken([renderValue(v, '')])).map((value): HeaderSpec => ({ name: 'Authorization', value })), { nil: undefined })
  // No raw `#` here: the gateway refuses it with 400 (test/faults/hostile-framing.test.ts), so such a
  // request never reaches InfluxDB. Properties 2 and 4 still send it.
  const arb = fc.record({ route: fc.constantFrom(...SESSION_ROUTES), query: queryString({ hash: false }), cookie, auth })
    .map(({ route, query, cookie, auth }): RequestSpec => ({ ...route, target: route.target + query, headers: auth === undefined ? [cookie] : [auth, cookie] }))
  await fc.assert(fc.asyncProperty(arb, async (spec) => {
    const req = renderRequest(spec, id)
    const ex = await exchange(h, req)
    seen.add('cases')
    if (queryParamNames(req.target).some((n) => n === 'u' || n === 'p')) seen.add('sent u/p')
    assertAnswered(ex)
    assert.equal(ex.upstream.length, 1, `the signed-in request did not reach InfluxDB exactly once\n${describe(ex)}`)
    const rec = ex.upstream[0] as RecordedRequest
    const names = [...queryParamNames(rec.url), ...rec.query.keys()]
    assert.ok(!names.includes('u') && !names.includes('p'), `u/p reached InfluxDB\n${describe(ex)}`)
    assert.equal(rec.headers.authorization, 'Token test-token', `not the user's token upstream\n${describe(ex)}`)
    for (const [name, value] of Object.entries(rec.headers)) {
      assert.ok(!String(value).includes(id), `the session id went upstream in ${name}\n${describe(ex)}`)
    }
    assert.ok(!rec.url.includes(id), `the session id went upstream in the URL\n${describe(ex)}`)
    const upstreamCookies = (rec.headers.cookie ?? '').split(';').map((c) => c.slice(0, Math.max(c.indexOf('='), 0)).trim())
    assert.ok(!upstreamCookies.includes(COOKIE_NAME), `a cookie of our name went upstream\n${describe(ex)}`)
    assert.equal(rec.path, req.target.split('?', 1)[0], `the path was changed\n${describe(ex)}`)
    assert.deepEqual(otherPairs(rec.url), otherPairs(req.target), `other query parameters were changed\n${describe(ex)}`)
    assertErrorBody(ex)
  }), OPTIONS)
  t.diagnostic(String(seen))
})

/** Headers that steer the gateway elsewhere: CSRF signals, request ids, trace spans, Connection, Expect. */
const extraHeader: fc.Arbitrary<HeaderSpec> = fc.oneof(
  fc.constantFrom('http://evil.example', 'null', 'http://127.0.0.1', '').map((v): HeaderSpec => ({ name: 'Origin', value: [v] })),
  fc.constantFrom('cross-site', 'same-site', 'same-origin', 'none').map((v): HeaderSpec => ({ name: 'Sec-Fetch-Site', value: [v] })),
  fc.constantFrom('http://evil.example/x', '::', 'http://[', '').map((v): HeaderSpec => ({ name: 'Referer', value: [v] })),
  latin1Text(140).map((v): HeaderSpec => ({ name: 'X-Request-Id', value: [v] })),
  latin1Text(80).map((v): HeaderSpec => ({ name: 'Zap-Trace-Span', value: [v] })),
  fc.constantFrom('authorization', 'cookie', 'x-a, te', 'keep-alive', 'content-length', 'host').map((v): HeaderSpec => ({ name: 'Connection', value: [v] })),
  fc.constant<HeaderSpec>({ name: 'Expect', value: ['100-continue'] }),
  latin1Text(40).map((v): HeaderSpec => ({ name: 'Content-Type', value: [v] })),
  latin1Text(40).map((v): HeaderSpec => ({ name: 'X-Forwarded-For', value: [v] }))
)

/** Targets of every kind: hostile paths, protected and public routes, the gateway's own endpoints. */
const anyTarget = fc.oneof(
  { arbitrary: fc.tuple(hostilePath(), queryString()).map(([p, q]) => p + q), weight: 3 },
  { arbitrary: fc.constantFrom(...PROTECTED_REQUESTS.map((r) => r.target)), weight: 1 },
  {
    arbitrary: fc.constantFrom('/api/v2/signin', '/api/v2/signout', '/gateway/session', '/gateway/ready', '/gateway/metrics', '/gateway/nope',
      '/api/v2/setup', '/api/v2/me/password', '/api/v2', '/health', '/', '/assets/app.js'),
    weight: 2
  }
)

test('error bodies: the gateway\'s own are always {code, message} with a matching X-Platform-Error-Code, and none leaks a stack', async (t) => {
  const h = await startHarness(t)
  const { gw } = h
  let id = sessionIdOf(await signIn(gw))
  const seen = tally()
  const method = fc.constantFrom('GET', 'GET', 'HEAD', 'POST', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH')
  // Bodies up to 4 KB: over the sign-in limit (1 KB) too.
  const body = fc.option(fc.oneof(
    latin1Text(100).map((v): Piece[] => [v]),
    fc.integer({ min: 1025, max: 4096 }).map((n): Piece[] => [{ repeat: 'x', times: n }])
  ), { nil: undefined })
  const arb = fc.record({ method, target: anyTarget, headers: credentialHeaders(), extra: fc.array(extraHeader, { maxLength: 3 }), body })
    .map(({ method, target, headers, extra, body }): RequestSpec => ({ method, target, headers: [...headers, ...extra], ...(body === undefined ? {} : { body }) }))
  await fc.assert(fc.asyncProperty(arb, async (spec) => {
    // Sign-out and sign-in end the sessions they are shown: start a new one (without HTTP, so
    // sign-in throttling cannot get in the way) for the next case.
    if (await gw.deps.sessions.get(id, { renew: false }) === undefined) id = (await gw.deps.sessions.create('alice')).id
    const ex = await exchange(h, renderRequest(spec, id))
    seen.add('cases')
    if (ex.reply.status >= 400 && !reachedUpstream(ex)) seen.add('gateway errors')
    if (ex.reply.status === 501) {
      assert.equal(ex.reply.headers.get('x-platform-error-code')?.[0], 'not implemented', `an unexpected 501\n${describe(ex)}`)
      seen.add('501 password change')
    } else {
      assertAnswered(ex)
    }
    assertErrorBody(ex)
  }), OPTIONS)
  t.diagnostic(String(seen))
})
