import assert from 'node:assert/strict'
import { test } from 'node:test'
import { INFLUX3_OPERATOR_TOKEN, startFakeInflux3, type FakeInflux3Options } from './fake-influx3.ts'

// The InfluxDB 3 double's authentication and tokens, as InfluxDB 3's source has them (see fake-influx3.md).

const bearer = (t: string | undefined): Record<string, string> => ({ authorization: `Bearer ${t ?? ''}` })
const basic = (t: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(`anyone:${t}`).toString('base64')}` })
const json = { 'content-type': 'application/json' }

async function start (t: { after: (fn: () => Promise<void>) => void }, opts: FakeInflux3Options = {}): ReturnType<typeof startFakeInflux3> {
  const influx3 = await startFakeInflux3(opts)
  t.after(() => influx3.close())
  return influx3
}

test('fake influx3: a token as Bearer, Token, Basic password (any route) or v1 p=; /ping, /health, /metrics need one', async (t) => {
  const influx3 = await start(t)
  const ping = (headers: Record<string, string> = {}, query = ''): Promise<Response> => fetch(`${influx3.url}/ping${query}`, { headers })
  assert.equal((await ping()).status, 401)
  assert.deepEqual(await (await ping()).json(), { error: 'the request was not authenticated' })
  assert.equal((await ping(bearer('nope'))).status, 401)
  for (const headers of [bearer(INFLUX3_OPERATOR_TOKEN), { authorization: `Token ${INFLUX3_OPERATOR_TOKEN}` }, basic(INFLUX3_OPERATOR_TOKEN)]) {
    assert.equal((await ping(headers)).status, 200)
  }
  assert.equal((await ping({ authorization: `Bearer ${INFLUX3_OPERATOR_TOKEN} extra` })).status, 400)
  assert.equal((await ping({}, `?p=${INFLUX3_OPERATOR_TOKEN}`)).status, 401, 'p= counts only on /query and /write')
  assert.equal((await fetch(`${influx3.url}/query?q=SHOW%20DATABASES&p=${INFLUX3_OPERATOR_TOKEN}`)).status, 200)
  assert.equal((await fetch(`${influx3.url}/query?q=SHOW%20DATABASES&p=wrong`, { headers: bearer(INFLUX3_OPERATOR_TOKEN) })).status, 401, 'p= wins over the header')
  assert.equal((await fetch(`${influx3.url}/health`)).status, 401)
  assert.equal((await fetch(`${influx3.url}/metrics`)).status, 401)
  assert.equal((await fetch(`${influx3.url}/health`, { headers: bearer(INFLUX3_OPERATOR_TOKEN) })).status, 200)
  assert.equal(influx3.last()?.tokenName, '_admin')
})

test('fake influx3: /ping names the build and version; --disable-authz opens the probes', async (t) => {
  for (const build of ['Core', 'Enterprise'] as const) {
    const influx3 = await start(t, { build, disableAuthz: ['ping', 'health'] })
    const res = await fetch(`${influx3.url}/ping`)
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('x-influxdb-build'), build)
    assert.equal(res.headers.get('x-influxdb-version'), '3.10.0')
    assert.equal((await res.json() as { version: string }).version, '3.10.0')
    assert.equal((await fetch(`${influx3.url}/health`)).status, 200)
    assert.equal((await fetch(`${influx3.url}/metrics`)).status, 401)
    assert.equal((await fetch(`${influx3.url}/ping`, { method: 'HEAD' })).status, 404)
  }
})

test('fake influx3: successes carry Access-Control-Allow-Origin: *; preflights are 204 * before any auth; refusals do not', async (t) => {
  const influx3 = await start(t)
  const preflight = await fetch(`${influx3.url}/api/v3/configure/token/admin/regenerate`, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } })
  assert.equal(preflight.status, 204)
  assert.equal(preflight.headers.get('access-control-allow-origin'), '*')
  assert.equal(preflight.headers.get('access-control-allow-headers'), '*')
  assert.equal((await fetch(`${influx3.url}/ping`, { headers: bearer(INFLUX3_OPERATOR_TOKEN) })).headers.get('access-control-allow-origin'), '*')
  assert.equal((await fetch(`${influx3.url}/ping`)).headers.get('access-control-allow-origin'), null)
})

test('fake influx3: the admin bootstrap needs no token; once _admin exists it answers 409; regenerate replaces the operator\'s token', async (t) => {
  const influx3 = await start(t, { operatorToken: null })
  assert.equal(influx3.operatorToken(), undefined)
  const first = await fetch(`${influx3.url}/api/v3/configure/token/admin`, { method: 'POST' })
  assert.equal(first.status, 201)
  const made = await first.json() as { name: string, token: string }
  assert.equal(made.name, '_admin')
  assert.equal(made.token, influx3.operatorToken())
  const again = await fetch(`${influx3.url}/api/v3/configure/token/admin`, { method: 'POST' })
  assert.equal(again.status, 409)
  assert.equal(await again.text(), 'token name already exists, _admin')
  assert.equal((await fetch(`${influx3.url}/api/v3/configure/token/admin/regenerate`, { method: 'POST' })).status, 401)
  const regen = await fetch(`${influx3.url}/api/v3/configure/token/admin/regenerate`, { method: 'POST', headers: bearer(made.token) })
  assert.equal(regen.status, 201)
  const replaced = (await regen.json() as { token: string }).token
  assert.notEqual(replaced, made.token)
  assert.equal((await fetch(`${influx3.url}/ping`, { headers: bearer(made.token) })).status, 401, 'the old operator token is dead')
  assert.equal((await fetch(`${influx3.url}/ping`, { headers: bearer(replaced) })).status, 200)
})

test('fake influx3: named admin tokens (409 on a duplicate name), expiry on the injected clock, deletion by name', async (t) => {
  let now = Date.parse('2026-01-01T00:00:00Z')
  const influx3 = await start(t, { now: () => now })
  const create = (name: string, expirySecs?: number): Promise<Response> => fetch(`${influx3.url}/api/v3/configure/token/named_admin`, {
    method: 'POST', headers: { ...bearer(INFLUX3_OPERATOR_TOKEN), ...json }, body: JSON.stringify({ token_name: name, expiry_secs: expirySecs })
  })
  const res = await create('gw-1', 60)
  assert.equal(res.status, 201)
  const token = (await res.json() as { token: string, expiry: string }).token
  assert.equal((await create('gw-1')).status, 409)
  assert.equal((await fetch(`${influx3.url}/ping`, { headers: bearer(token) })).status, 200)
  now += 60_000
  assert.equal((await fetch(`${influx3.url}/ping`, { headers: bearer(token) })).status, 401, 'expired')
  const del = (name: string): Promise<Response> => fetch(`${influx3.url}/api/v3/configure/token?token_name=${name}`, { method: 'DELETE', headers: bearer(INFLUX3_OPERATOR_TOKEN) })
  assert.equal((await del('gw-1')).status, 200)
  assert.equal((await del('gw-1')).status, 404)
  assert.equal((await del('_admin')).status, 405)
  assert.deepEqual(influx3.tokens().map((x) => x.name), ['_admin'])
})

test('fake influx3: Enterprise resource tokens read and write only the databases they name; Core has none', async (t) => {
  const core = await start(t)
  const path = '/api/v3/enterprise/configure/token'
  const body = (names: string[], actions = ['read']): string => JSON.stringify({ token_name: `t-${names.join('-')}-${actions.join('')}`, permissions: [{ resource_type: 'db', resource_names: names, actions }], expiry_secs: 300 })
  assert.equal((await fetch(`${core.url}${path}`, { method: 'POST', headers: { ...bearer(INFLUX3_OPERATOR_TOKEN), ...json }, body: body(['*']) })).status, 404)
  const ent = await start(t, { build: 'Enterprise', databases: ['telemetry', 'lab'] })
  const mint = async (names: string[], actions?: string[]): Promise<Response> =>
    fetch(`${ent.url}${path}`, { method: 'POST', headers: { ...bearer(INFLUX3_OPERATOR_TOKEN), ...json }, body: body(names, actions) })
  assert.equal((await mint(['nosuchdb'])).status, 500, 'names must be existing databases')
  assert.equal((await mint(['*', 'lab'])).status, 500, '* is alone')
  const reader = (await (await mint(['telemetry'])).json() as { token: string }).token
  const q = (db: string, headers: Record<string, string>): Promise<Response> => fetch(`${ent.url}/api/v3/query_sql?db=${db}&q=SELECT%201`, { headers })
  assert.equal((await q('telemetry', bearer(reader))).status, 200)
  assert.equal((await q('lab', bearer(reader))).status, 403)
  assert.equal((await fetch(`${ent.url}/api/v3/write_lp?db=telemetry`, { method: 'POST', headers: bearer(reader), body: 'm v=1' })).status, 403)
  assert.equal((await fetch(`${ent.url}/api/v3/configure/database?format=json`, { headers: bearer(reader) })).status, 403, 'no administration')
  const writer = (await (await mint(['*'], ['write'])).json() as { token: string }).token
  assert.equal((await fetch(`${ent.url}/write?db=lab&p=${writer}`, { method: 'POST', body: 'm v=2' })).status, 204)
  const shown = await (await fetch(`${ent.url}/query?q=SHOW%20DATABASES`, { headers: basic(reader) })).json()
  assert.deepEqual(shown, { results: [{ statement_id: 0, series: [{ name: 'databases', columns: ['name'], values: [['telemetry']] }] }] })
})

test('fake influx3: failNext answers chosen requests with an error; waitForRequest waits for one to be answered', async (t) => {
  const influx3 = await start(t)
  influx3.failNext('DELETE', '/api/v3/configure/token', 1, 503)
  const del = (): Promise<Response> => fetch(`${influx3.url}/api/v3/configure/token?token_name=x`, { method: 'DELETE', headers: bearer(INFLUX3_OPERATOR_TOKEN) })
  const waited = influx3.waitForRequest((r) => r.method === 'DELETE' && r.tokenName === '_admin')
  assert.equal((await del()).status, 503)
  assert.equal((await del()).status, 404)
  assert.equal((await waited).query.get('token_name'), 'x')
})
