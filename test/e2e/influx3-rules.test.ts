/**
 * InfluxDB 3 behind the gateway (src/http/influx3-access.ts): per-database rules enforced by the gateway in
 * front of the InfluxDB 3 double (test/helpers/fake-influx3.ts): what reaches InfluxDB, and what is refused
 * in the route's dialect, audited, with nothing forwarded.
 */
import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { startFakeInflux3, INFLUX3_OPERATOR_TOKEN, type FakeInflux3 } from '../helpers/fake-influx3.ts'
import { signIn, startGateway, type TestGateway } from '../helpers/gateway.ts'

const ANALYST = { name: 'alice', password: 'correct horse battery staple', groups: ['analysts'] }
const OPERATOR = { name: 'oscar', password: 'another horse battery staple', groups: ['ops'] }

interface Setup { gw: TestGateway, influx3: FakeInflux3, analyst: string, operator: string }

async function start (t: TestContext, version: 3 | 'auto' = 3): Promise<Setup> {
  const influx3 = await startFakeInflux3({ databases: ['telemetry', 'lab_1', 'secret'] })
  t.after(() => influx3.close())
  const gw = await startGateway(t, {
    upstreamUrl: influx3.url,
    users: [ANALYST, OPERATOR],
    operatorToken: INFLUX3_OPERATOR_TOKEN,
    config: { upstream: { version } },
    access: [
      { group: 'analysts', token: INFLUX3_OPERATOR_TOKEN, databases: { read: ['telemetry', 'lab_*'], write: ['telemetry'] } },
      { group: 'ops', token: INFLUX3_OPERATOR_TOKEN, admin: true }
    ]
  })
  if (version === 'auto') await gw.deps.upstreamVersion.probe()
  return { gw, influx3, analyst: await signIn(gw, ANALYST.name, ANALYST.password), operator: await signIn(gw, OPERATOR.name, OPERATOR.password) }
}

/** Sends a request with a session cookie; returns the status, the body and how many requests reached InfluxDB 3. */
async function send (s: Setup, cookie: string, path: string, init: RequestInit = {}): Promise<{ status: number, body: string, reached: number }> {
  const before = s.influx3.requests.length
  const res = await fetch(`${s.gw.url}${path}`, { ...init, headers: { cookie, ...init.headers as Record<string, string> } })
  return { status: res.status, body: await res.text(), reached: s.influx3.requests.length - before }
}

test('writes reach InfluxDB 3 only for databases the rule may write, with the rule\'s credential and without the cookie', async (t) => {
  const s = await start(t)
  const ok = await send(s, s.analyst, '/api/v3/write_lp?db=telemetry', { method: 'POST', body: 'cpu v=1' })
  assert.equal(ok.status, 204)
  assert.equal(s.influx3.lineProtocol('telemetry'), 'cpu v=1')
  const last = s.influx3.last()
  assert.equal(last?.headers.cookie, undefined, 'the session cookie never goes upstream')
  const refused = await send(s, s.analyst, '/api/v3/write_lp?db=lab_1', { method: 'POST', body: 'cpu v=1' })
  assert.deepEqual([refused.status, JSON.parse(refused.body), refused.reached], [403, { error: 'no write access to database "lab_1"' }, 0])
  const v2 = await send(s, s.analyst, '/api/v2/write?bucket=secret&org=x', { method: 'POST', body: 'cpu v=1' })
  assert.deepEqual([v2.status, JSON.parse(v2.body).code, v2.reached], [403, 'forbidden', 0], '/api/v2/write answers in the v2 dialect')
  const v1 = await send(s, s.analyst, '/write?db=telemetry&rp=weekly', { method: 'POST', body: 'cpu v=1' })
  assert.deepEqual([v1.status, v1.reached], [403, 0], 'another retention policy is another database: telemetry/weekly')
  await s.gw.waitForLog((l) => l.audit === 'access' && l.result === 'refused' && l.user === 'alice' && l.reason === 'no write access to database "lab_1"')
})

test('queries: the database is read where InfluxDB 3 reads it, and the statement\'s own database wins', async (t) => {
  const s = await start(t)
  const q = (query: string): string => encodeURIComponent(query)
  assert.equal((await send(s, s.analyst, `/api/v3/query_sql?db=telemetry&q=${q('SELECT 1')}`)).status, 200)
  assert.deepEqual((await send(s, s.analyst, `/api/v3/query_sql?db=secret&q=${q('SELECT 1')}`)).reached, 0)
  const smuggled = await send(s, s.analyst, `/query?db=telemetry&q=${q('SELECT * FROM "secret"."autogen"."cpu"')}`)
  assert.deepEqual([smuggled.status, smuggled.reached], [403, 0], 'the statement names secret: refused whatever db says')
  const several = await send(s, s.analyst, `/query?db=telemetry&q=${q('SELECT * FROM cpu; SELECT * FROM secret..cpu')}`)
  assert.deepEqual([several.status, several.reached], [403, 0], 'every statement counts')
  const form = await send(s, s.analyst, '/query', {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `db=lab_2&q=${q('SELECT * FROM cpu')}`
  })
  assert.equal(form.status, 200, 'a form body is read')
  assert.equal(s.influx3.queries.at(-1)?.db, 'lab_2', 'and forwarded as it was sent')
  const multipart = new FormData()
  multipart.set('q', 'SELECT * FROM secret..cpu')
  const mp = await send(s, s.analyst, '/query?db=telemetry', { method: 'POST', body: multipart })
  assert.deepEqual([mp.status, mp.reached], [403, 0], 'a multipart body is read')
  const raw = await send(s, s.analyst, `/query?db=telemetry&q=${q('SELECT * FROM cpu')}`, {
    method: 'POST', headers: { 'content-type': 'application/vnd.influxql' }, body: 'SELECT * FROM secret..cpu'
  })
  assert.deepEqual([raw.status, raw.reached], [403, 0], 'the statement InfluxDB runs is the body\'s, not the query string\'s')
  const rawOk = await send(s, s.analyst, '/query?db=telemetry', {
    method: 'POST', headers: { 'content-type': 'application/vnd.influxql' }, body: 'SELECT * FROM cpu'
  })
  assert.deepEqual([rawOk.status, s.influx3.queries.at(-1)?.q], [200, 'SELECT * FROM cpu'], 'a statement in the body is read, and sent as it was')
  const json = await send(s, s.analyst, '/api/v3/query_influxql', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ db: 'telemetry', q: 'SELECT * FROM cpu' })
  })
  assert.equal(json.status, 200)
  const twice = await send(s, s.analyst, '/api/v3/query_sql?db=telemetry', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ db: 'secret', q: 'SELECT 1' })
  })
  assert.deepEqual([twice.status, twice.reached], [403, 0], 'named twice: refused, never guessed')
  const nowhere = await send(s, s.analyst, `/query?q=${q('SELECT * FROM cpu')}`)
  assert.deepEqual([nowhere.status, nowhere.reached], [403, 0], 'named nowhere: refused')
  const internal = await send(s, s.analyst, `/api/v3/query_sql?db=_internal&q=${q('SELECT * FROM system.tokens')}`)
  assert.deepEqual([internal.status, internal.reached], [403, 0], 'a glob never reaches _internal')
  const queries = await send(s, s.analyst, `/api/v3/query_sql?db=telemetry&q=${q('SELECT * FROM "system".queries')}`)
  assert.deepEqual([queries.status, queries.reached], [403, 0], 'system.queries shows every database\'s queries')
  const into = await send(s, s.analyst, `/query?db=telemetry&q=${q('SELECT * INTO lab_1..copy FROM cpu')}`)
  assert.deepEqual([into.status, into.reached], [403, 0], 'InfluxDB 3 runs no INTO')
})

test('SHOW DATABASES answers only what the identity may read', async (t) => {
  const s = await start(t)
  const v1 = await send(s, s.analyst, `/query?q=${encodeURIComponent('SHOW DATABASES')}`)
  assert.equal(v1.status, 200)
  const names = JSON.parse(v1.body).results[0].series[0].values.map((v: string[]) => v[0])
  assert.deepEqual(names.sort(), ['lab_1', 'telemetry'])
  const v3 = await send(s, s.analyst, `/api/v3/query_influxql?q=${encodeURIComponent('SHOW DATABASES')}&format=json`)
  assert.deepEqual(JSON.parse(v3.body).map((r: Record<string, string>) => r['iox::database']).sort(), ['lab_1', 'telemetry'])
})

test('administration needs admin: true; the admin token is never created or regenerated, for anyone', async (t) => {
  const s = await start(t)
  const list = '/api/v3/configure/database?format=json'
  assert.deepEqual((await send(s, s.analyst, list)).reached, 0)
  assert.equal((await send(s, s.analyst, list)).status, 403)
  assert.equal((await send(s, s.operator, list)).status, 200)
  for (const path of ['/api/v3/configure/token/admin', '/api/v3/configure/token/admin/regenerate']) {
    const r = await send(s, s.operator, path, { method: 'POST' })
    assert.deepEqual([r.status, r.reached], [403, 0], path)
    const anonymous = await fetch(`${s.gw.url}${path}`, { method: 'POST' })
    assert.equal(anonymous.status, 403, `${path}, without a session`)
  }
  assert.equal(s.influx3.operatorToken(), INFLUX3_OPERATOR_TOKEN, 'the operator\'s token is untouched')
})

test('nothing is public in front of InfluxDB 3; the gateway answers preflights, and InfluxDB\'s * never reaches a browser', async (t) => {
  const s = await start(t)
  for (const path of ['/health', '/ping', '/metrics', '/api/v3/configure/database?format=json']) {
    const before = s.influx3.requests.length
    const res = await fetch(`${s.gw.url}${path}`)
    assert.equal(res.status, 401, path)
    assert.equal(s.influx3.requests.length, before, `${path}: nothing reached InfluxDB`)
  }
  const health = await fetch(`${s.gw.url}/health`, { headers: { cookie: s.analyst } })
  assert.equal(health.status, 200)
  assert.equal(health.headers.get('access-control-allow-origin'), null)
  const preflight = await fetch(`${s.gw.url}/api/v3/query_sql`, {
    method: 'OPTIONS', headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST' }
  })
  assert.equal(preflight.headers.get('access-control-allow-origin'), null, 'a preflight from an origin not in cors.origins gets no grant')
  const stripped = await send(s, s.analyst, '/api/v3/query_sql?db=telemetry&q=SELECT%201&p=someone-elses-token', {
    headers: { authorization: 'Basic ' + Buffer.from('x:another-token').toString('base64') }
  })
  assert.equal(stripped.status, 200)
  const last = s.influx3.last()
  assert.equal(last?.query.has('p'), false, 'p= never reaches InfluxDB 3')
  assert.equal(last?.headers.authorization, `Token ${INFLUX3_OPERATOR_TOKEN}`, 'the rule\'s credential replaces the client\'s')
})

test('with upstream.version auto, the version is learned from /ping with the operator token, and the rules apply', async (t) => {
  const s = await start(t, 'auto')
  assert.equal(s.gw.deps.runtime().upstreamVersion.major(), 3)
  const r = await send(s, s.analyst, '/api/v3/write_lp?db=secret', { method: 'POST', body: 'cpu v=1' })
  assert.deepEqual([r.status, r.reached], [403, 0])
})

test('the official InfluxDB 3 client writes through the gateway with a session cookie, and with a token of its own', async (t) => {
  const s = await start(t)
  const { InfluxDBClient } = await import('@influxdata/influxdb3-client')
  // The client insists on a token: a scheme other than Token/Bearer lets the gateway take the session cookie instead.
  const withCookie = new InfluxDBClient({ host: s.gw.url, database: 'telemetry', token: 'session', authScheme: 'Session', headers: { cookie: s.analyst } })
  t.after(() => withCookie.close())
  await withCookie.write('cpu,host=a load=0.5')
  assert.equal(s.influx3.lineProtocol('telemetry'), 'cpu,host=a load=0.5')
  await assert.rejects(withCookie.write('cpu load=1', 'secret'), (err: Error & { statusCode?: number }) => err.statusCode === 403, 'the rule refuses another database')
  assert.equal(s.influx3.lineProtocol('secret'), '')
  const withToken = new InfluxDBClient({ host: s.gw.url, database: 'secret', token: INFLUX3_OPERATOR_TOKEN })
  t.after(() => withToken.close())
  await withToken.write('cpu load=2')
  assert.equal(s.influx3.lineProtocol('secret'), 'cpu load=2', 'a client\'s own token is InfluxDB\'s to judge')
})

test('a query parameter that is not UTF-8 is refused: the gateway and InfluxDB 3 would read different names', async (t) => {
  const s = await start(t)
  const r = await send(s, s.analyst, '/api/v3/write_lp?db=telemetry%ff', { method: 'POST', body: 'cpu v=1' })
  assert.deepEqual([r.status, r.reached], [403, 0])
})
