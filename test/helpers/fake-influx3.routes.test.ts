import assert from 'node:assert/strict'
import { test } from 'node:test'
import { INFLUX3_OPERATOR_TOKEN, startFakeInflux3 } from './fake-influx3.ts'

// What reached the InfluxDB 3 double, and in which database: writes, queries, databases, system.tokens.

const auth = { authorization: `Token ${INFLUX3_OPERATOR_TOKEN}` }
const json = { ...auth, 'content-type': 'application/json' }

test('fake influx3: each write route records its line protocol in the database it names (<db>/<rp> for a named rp)', async (t) => {
  const influx3 = await startFakeInflux3()
  t.after(() => influx3.close())
  const post = (path: string): Promise<Response> => fetch(`${influx3.url}${path}`, { method: 'POST', headers: auth, body: `m,p=${path.length} v=1` })
  assert.equal((await post('/api/v3/write_lp?db=alpha')).status, 204)
  assert.equal((await post('/api/v2/write?bucket=beta&org=ignored')).status, 204)
  assert.equal((await post('/write?db=gamma&rp=autogen')).status, 204)
  assert.equal((await post('/write?db=gamma&rp=Weekly')).status, 204)
  assert.deepEqual(influx3.writes.map((w) => w.db), ['alpha', 'beta', 'gamma', 'gamma/weekly'])
  assert.equal(influx3.lineProtocol('gamma/weekly'), 'm,p=25 v=1')
  assert.deepEqual(influx3.databases(), ['_internal', 'alpha', 'beta', 'gamma', 'gamma/weekly'])
  assert.equal((await post('/api/v3/write_lp')).status, 400)
  const v2 = await post('/api/v2/write?org=x')
  assert.equal(v2.status, 400)
  assert.equal((await v2.json() as { code: string }).code, 'invalid')
  assert.equal((await post('/write?db=bad%20name')).status, 400)
})

test('fake influx3: /query reads db and q from the query string, a form or multipart body, or a raw InfluxQL body; the statement\'s database wins', async (t) => {
  const influx3 = await startFakeInflux3({ databases: ['a', 'b'] })
  t.after(() => influx3.close())
  const form = new FormData()
  form.set('db', 'b')
  form.set('q', 'SELECT * FROM m')
  const sent = [
    await fetch(`${influx3.url}/query?db=a&q=${encodeURIComponent('SELECT * FROM "b"."autogen"."m"')}`, { headers: auth }),
    await fetch(`${influx3.url}/query?db=a`, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body: 'db=b&q=SELECT+1+FROM+m' }),
    await fetch(`${influx3.url}/query?db=a`, { method: 'POST', headers: auth, body: form }),
    await fetch(`${influx3.url}/query?db=a`, { method: 'POST', headers: { ...auth, 'content-type': 'application/vnd.influxql' }, body: 'SELECT * FROM b.weekly.m; SELECT * FROM m' })
  ]
  // rp= fills in the retention policy of a statement that names its database without one, and only then.
  sent.push(await fetch(`${influx3.url}/query?db=a&rp=weekly&q=${encodeURIComponent('SELECT * FROM b..m; SELECT * FROM m')}`, { headers: auth }))
  for (const res of sent) assert.equal(res.status, 200)
  assert.deepEqual(influx3.requests.map((r) => r.databases), [['b'], ['b'], ['b'], ['b/weekly', 'a'], ['b/weekly', 'a']])
  const none = await (await fetch(`${influx3.url}/query?q=SELECT+*+FROM+m`, { headers: auth })).json() as { results: Array<{ error?: string }> }
  assert.match(none.results[0]?.error ?? '', /must specify a 'db' parameter/)
  const shown = await (await fetch(`${influx3.url}/query?q=SHOW+DATABASES`, { headers: auth })).json()
  assert.deepEqual(shown, { results: [{ statement_id: 0, series: [{ name: 'databases', columns: ['name'], values: [['_internal'], ['a'], ['b']] }] }] })
})

test('fake influx3: /api/v3/query_* read db and q from the query string (GET) or a JSON body (POST); InfluxQL takes one statement', async (t) => {
  const influx3 = await startFakeInflux3({ databases: ['a', 'b'] })
  t.after(() => influx3.close())
  const sql = await fetch(`${influx3.url}/api/v3/query_sql`, { method: 'POST', headers: json, body: JSON.stringify({ db: 'a', q: 'SELECT 1', format: 'json' }) })
  assert.equal(sql.status, 200)
  assert.ok(Array.isArray(await sql.json()))
  assert.equal((await fetch(`${influx3.url}/api/v3/query_sql?db=nope&q=SELECT+1`, { headers: auth })).status, 404)
  assert.equal((await fetch(`${influx3.url}/api/v3/query_sql?q=SELECT+1`, { headers: auth })).status, 400)
  const mismatch = await fetch(`${influx3.url}/api/v3/query_influxql?db=a&q=${encodeURIComponent('SELECT * FROM b..m')}`, { headers: auth })
  assert.equal(mismatch.status, 400)
  assert.equal((await fetch(`${influx3.url}/api/v3/query_influxql?q=${encodeURIComponent('SELECT * FROM b..m')}`, { headers: auth })).status, 200)
  assert.equal((await fetch(`${influx3.url}/api/v3/query_influxql?db=a&q=SELECT+1+FROM+m;SELECT+2+FROM+m`, { headers: auth })).status, 400)
  const shown = await (await fetch(`${influx3.url}/api/v3/query_influxql?q=SHOW+DATABASES&format=json`, { headers: auth })).json()
  assert.deepEqual(shown, [{ deleted: false, 'iox::database': '_internal' }, { deleted: false, 'iox::database': 'a' }, { deleted: false, 'iox::database': 'b' }])
  assert.deepEqual(influx3.queries.map((q) => [q.path, q.db, q.tokenName]).at(0), ['/api/v3/query_sql', 'a', '_admin'])
})

test('fake influx3: databases are listed, created and deleted; system.tokens answers on _internal only', async (t) => {
  const influx3 = await startFakeInflux3()
  t.after(() => influx3.close())
  const db = `${influx3.url}/api/v3/configure/database`
  assert.equal((await fetch(db, { method: 'POST', headers: json, body: JSON.stringify({ db: 'telemetry' }) })).status, 200)
  assert.equal((await fetch(db, { method: 'POST', headers: json, body: JSON.stringify({ db: 'telemetry' }) })).status, 409)
  assert.deepEqual(await (await fetch(`${db}?format=json`, { headers: auth })).json(), [{ 'iox::database': '_internal' }, { 'iox::database': 'telemetry' }])
  assert.equal((await fetch(`${db}?db=telemetry`, { method: 'DELETE', headers: auth })).status, 200)
  assert.equal((await fetch(`${db}?db=telemetry`, { method: 'DELETE', headers: auth })).status, 404)
  const q = encodeURIComponent('SELECT name, expiry, permissions FROM system.tokens')
  const rows = await (await fetch(`${influx3.url}/api/v3/query_sql?db=_internal&q=${q}&format=json`, { headers: auth })).json()
  assert.deepEqual(rows, [{ name: '_admin', permissions: '*:*:*' }], 'arrow-json leaves out a null expiry')
  assert.equal((await fetch(`${influx3.url}/api/v3/query_sql?db=alpha&q=${q}`, { headers: auth })).status, 404)
  await fetch(`${influx3.url}/api/v3/write_lp?db=alpha`, { method: 'POST', headers: auth, body: 'm v=1' })
  assert.equal((await fetch(`${influx3.url}/api/v3/query_sql?db=alpha&q=${q}`, { headers: auth })).status, 400, 'system.tokens is _internal\'s')
})
