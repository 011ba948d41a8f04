import assert from 'node:assert/strict'
import { mock, test } from 'node:test'
import { ALICE, fetchRefused, signIn, startGateway } from '../helpers/gateway.ts'

// `/health/../api/v2/buckets` is not here: fetch would normalise it before sending. It is sent raw, byte for
// byte, by the ambiguous-paths test in test/faults/hostile-framing.test.ts.
const PROTECTED = ['/api/v2/buckets', '/api/v2/me', '/api/v2private/flags', '/query?db=x&q=SELECT+1', '/metrics', '/debug/vars', '/legacy/authorizations', '/api/v2/%62uckets']
const PUBLIC = ['/health', '/ready', '/ping', '/api/v2', '/api/v2/setup', '/', '/assets/app.js']

test('without a session or token, protected routes get 401 and nothing reaches InfluxDB', async (t) => {
  const gw = await startGateway(t)
  for (const path of PROTECTED) {
    const res = await fetchRefused(gw, path, { headers: { cookie: 'influxdb-oss-session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } })
    assert.deepEqual(await res.json(), { code: 'unauthorized', message: 'unauthorized access' })
  }
  for (const method of ['POST', 'PUT', 'DELETE']) {
    await fetchRefused(gw, '/api/v2/write?org=o&bucket=b', { method, body: 'm v=1' }, 401, method)
  }
  await fetchRefused(gw, '/api/v2/buckets', { headers: { authorization: 'Basic YWxpY2U6eA==' } }, 401, 'Basic is not a token')
  assert.equal(gw.influx.requests.length, 0)
})

test('public routes reach InfluxDB without any credential', async (t) => {
  const gw = await startGateway(t)
  for (const path of PUBLIC) {
    const res = await fetch(`${gw.url}${path}`)
    assert.ok(res.status < 300, `${path}: ${res.status}`)
    const seen = gw.influx.last()
    assert.equal(seen?.url, path)
    assert.equal(seen?.headers.authorization, undefined)
  }
})

test('a session cookie is swapped for the user\'s upstream token; client credentials never pass', async (t) => {
  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  const res = await fetch(`${gw.url}/api/v2/buckets?org=o&u=mallory&p=pw`, {
    headers: { cookie: `theme=dark; ${cookie}; lang=en`, authorization: 'Basic bWFsbG9yeTpwdw==' }
  })
  assert.equal(res.status, 200)
  const seen = gw.influx.last()
  assert.equal(seen?.headers.authorization, 'Token test-token')
  assert.equal(seen?.headers.cookie, 'theme=dark; lang=en')
  assert.equal(seen?.url, '/api/v2/buckets?org=o')
})

test('a client Token or Bearer passes through untouched and wins over the cookie', async (t) => {
  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  for (const authorization of ['Token test-token', 'Bearer test-token']) {
    const res = await fetch(`${gw.url}/api/v2/buckets`, { headers: { authorization, cookie } })
    assert.equal(res.status, 200)
    assert.equal(gw.influx.last()?.headers.authorization, authorization)
    assert.equal(gw.influx.last()?.headers.cookie, undefined, 'the session id never goes upstream')
  }
  const wrong = await fetch(`${gw.url}/api/v2/buckets`, { headers: { authorization: 'Token wrong', cookie } })
  assert.equal(wrong.status, 401, 'InfluxDB judges the token, not the gateway')
  assert.equal(gw.influx.last()?.headers.authorization, 'Token wrong')
})

test('token passthrough can be switched off', async (t) => {
  const gw = await startGateway(t, { config: { upstream: { tokenPassthrough: false } } })
  await fetchRefused(gw, '/api/v2/buckets', { headers: { authorization: 'Token test-token' } })
  assert.equal(gw.influx.requests.length, 0)
})

test('Zap-Trace-Span goes upstream and is not echoed; X-Forwarded-* are set, not trusted', async (t) => {
  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  const span = '{"trace_id":"0123456789abcdef","span_id":"fedcba9876543210","baggage":{}}'
  const res = await fetch(`${gw.url}/api/v2/me`, { headers: { cookie, 'zap-trace-span': span, 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https' } })
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('zap-trace-span'), null)
  const seen = gw.influx.last()?.headers
  assert.equal(seen?.['zap-trace-span'], span)
  assert.equal(seen?.['x-forwarded-for'], '127.0.0.1')
  assert.equal(seen?.['x-forwarded-proto'], 'http')
  assert.equal(seen?.['x-forwarded-host'], new URL(gw.url).host)
})

test('a user\'s live config applies to existing sessions: new credential, then disabled', async (t) => {
  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  const alice = gw.deps.runtime().users.find('alice')
  assert.ok(alice)
  gw.deps.applyConfig({ ...gw.deps.config, users: [{ ...alice, token: 'rotated-token' }] })
  await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })
  assert.equal(gw.influx.last()?.headers.authorization, 'Token rotated-token')

  gw.deps.applyConfig({ ...gw.deps.config, users: [{ ...alice, disabled: true }] })
  const res = await fetchRefused(gw, '/api/v2/buckets', { headers: { cookie } }, 403)
  assert.deepEqual(await res.json(), { code: 'forbidden', message: 'User is inactive' })
  assert.match(res.headers.get('set-cookie') ?? '', /Max-Age=0/)
  gw.deps.applyConfig({ ...gw.deps.config, users: [alice] })
  await fetchRefused(gw, '/api/v2/buckets', { headers: { cookie } }, 401, 'the session was ended')
})

test('sessions end after the idle timeout, are renewed by use, and end at the absolute timeout', async (t) => {
  mock.timers.enable({ apis: ['Date'], now: Date.now() })
  t.after(() => mock.timers.reset())
  const gw = await startGateway(t, { config: { session: { idleTimeout: '10m', absoluteTimeout: '25m' } } })
  const get = async (cookie: string): Promise<number> => (await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })).status
  const refused = async (cookie: string, what: string): Promise<void> => { await fetchRefused(gw, '/api/v2/buckets', { headers: { cookie } }, 401, what) }

  // Idle expiry is asserted at minute 22, well before the 25-minute absolute timeout, so only the idle
  // rule (enforced after a renewal, too) can end the session there.
  const idle = await signIn(gw)
  mock.timers.tick(6 * 60_000)
  assert.equal(await get(idle), 200, 'alive after 6 minutes')
  mock.timers.tick(6 * 60_000)
  assert.equal(await get(idle), 200, 'alive at 12 minutes: renewed by the request at 6')
  mock.timers.tick(10 * 60_000 + 1)
  await refused(idle, 'ended 10 minutes after its last use, at minute 22')

  const busy = await signIn(gw)
  for (let minute = 5; minute < 25; minute += 5) {
    mock.timers.tick(5 * 60_000)
    assert.equal(await get(busy), 200, `alive at ${minute} min`)
  }
  mock.timers.tick(5 * 60_000)
  await refused(busy, 'ended at the absolute timeout however busy')
})

test('the request log has one line per request, with route and user and without query or secrets', async (t) => {
  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  await fetch(`${gw.url}/query?db=x&u=alice&p=query-string-password&q=SELECT+1`, { headers: { cookie, 'x-request-id': 'req-123' } })
  const line = gw.logs.find((l) => l.msg === 'request' && l.reqId === 'req-123')
  assert.deepEqual(
    { method: line?.method, route: line?.route, path: line?.path, status: line?.status, user: line?.user },
    { method: 'GET', route: 'v1', path: '/query', status: 200, user: 'alice' }
  )
  assert.equal(typeof line?.durationMs, 'number')
  const text = gw.logText()
  for (const secret of ['query-string-password', ALICE.password, ALICE.token as string, cookie.split('=')[1] as string]) {
    assert.ok(!text.includes(secret), `log leaks ${secret}`)
  }
})

test('a reload that shortens absoluteTimeout ends sessions that are already older', async (t) => {
  mock.timers.enable({ apis: ['Date'], now: Date.now() })
  t.after(() => mock.timers.reset())
  const gw = await startGateway(t, { config: { session: { idleTimeout: '10m', absoluteTimeout: '8h' } } })
  const cookie = await signIn(gw)
  mock.timers.tick(5 * 60_000)
  assert.equal((await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })).status, 200)
  gw.deps.applyConfig({ ...gw.deps.config, session: { ...gw.deps.config.session, absoluteTimeout: 4 * 60_000, idleTimeout: 60_000 } })
  await fetchRefused(gw, '/api/v2/buckets', { headers: { cookie } })
})
