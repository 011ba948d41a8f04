import assert from 'node:assert/strict'
import { test } from 'node:test'
import { INFLUX3_OPERATOR_TOKEN, startFakeInflux3 } from './fake-influx3.ts'
import { influx3Contract, type Influx3Build } from './openapi-influxdb3.ts'

// The InfluxDB 3 double against InfluxDB 3's own contracts (test/fixtures/influxdb3-openapi/): every request
// the tests send it is one the contract describes, and every answer has a status the contract declares and, when
// the contract declares a JSON body for it, a body its schema accepts. Where InfluxDB 3's source answers
// otherwise (fake-influx3.md, "Where the contract and the source differ"), the double follows the source, and
// this test holds that the contract indeed rejects it: the day the contract is fixed, it says so.

/** `METHOD path status` whose answer follows InfluxDB 3's source, not the contract. */
const SOURCE_OVER_CONTRACT = new Set([
  'GET /api/v3/query_sql 200', 'POST /api/v3/query_sql 200', 'GET /api/v3/query_influxql 200', 'GET /api/v3/configure/database 200',
  'DELETE /api/v3/configure/token 405', 'POST /api/v3/configure/token/admin 409'
])

const auth = { authorization: `Bearer ${INFLUX3_OPERATOR_TOKEN}` }
const json = { ...auth, 'content-type': 'application/json' }

/** A call: method, path (as in the contract), query string, headers, JSON body (validated as the request body). */
type Call = [method: string, path: string, query: string, headers: Record<string, string>, body?: unknown]

function calls (build: Influx3Build): Call[] {
  const common: Call[] = [
    ['GET', '/ping', '', auth], ['POST', '/ping', '', auth], ['GET', '/ping', '', {}], ['GET', '/health', '', auth],
    ['GET', '/api/v1/health', '', auth], ['GET', '/metrics', '', auth],
    ['POST', '/api/v3/configure/database', '', json, { db: 'telemetry' }], ['POST', '/api/v3/configure/database', '', json, { db: 'telemetry' }],
    ['GET', '/api/v3/configure/database', '?format=json', auth],
    ['POST', '/api/v3/write_lp', '?db=telemetry', auth], ['POST', '/api/v2/write', '?bucket=telemetry', auth], ['POST', '/write', '?db=telemetry&rp=weekly', auth],
    ['GET', '/api/v3/query_sql', '?db=telemetry&q=SELECT%201&format=json', auth],
    ['POST', '/api/v3/query_sql', '', json, { db: '_internal', q: 'SELECT name, expiry FROM system.tokens', format: 'json' }],
    ['GET', '/api/v3/query_influxql', '?q=SHOW%20DATABASES&format=json', auth], ['GET', '/query', '?q=SHOW%20DATABASES', auth],
    ['POST', '/api/v3/configure/token/named_admin', '', json, { token_name: 'gw-1', expiry_secs: 60 }],
    ['POST', '/api/v3/configure/token/named_admin', '', json, { token_name: 'gw-1' }],
    ['POST', '/api/v3/configure/token/named_admin', '', { 'content-type': 'application/json' }, { token_name: 'gw-2' }],
    ['DELETE', '/api/v3/configure/token', '?token_name=gw-1', auth], ['DELETE', '/api/v3/configure/token', '?token_name=gw-1', auth],
    ['DELETE', '/api/v3/configure/token', '?token_name=_admin', auth],
    ['POST', '/api/v3/configure/token/admin', '', {}], ['POST', '/api/v3/configure/token/admin/regenerate', '', auth],
    ['DELETE', '/api/v3/configure/database', '?db=telemetry', auth], ['DELETE', '/api/v3/configure/database', '?db=telemetry', auth]
  ]
  if (build === 'Core') return common
  const permissions = [{ resource_type: 'db', resource_names: ['telemetry'], actions: ['read', 'write'] }]
  const resource: Call = ['POST', '/api/v3/enterprise/configure/token', '', json, { token_name: 'gw-r', permissions, expiry_secs: 60 }]
  return [...common.slice(0, 9), resource, ...common.slice(9)]
}

for (const build of ['Core', 'Enterprise'] as const) {
  test(`fake influx3 (${build}): requests and answers as the ${build} contract describes them`, async (t) => {
    const contract = influx3Contract(build)
    const influx3 = await startFakeInflux3({ build })
    t.after(() => influx3.close())
    let headers = auth
    const seen = new Set<string>()
    for (const [method, path, query, given, body] of calls(build)) {
      const label = `${method} ${path}${query}`
      if (body !== undefined) {
        const check = contract.requestBody(path, method)(body)
        assert.ok(check.valid, `${label}: the request body breaks the contract: ${check.errors}`)
      }
      // After the admin token is regenerated, the operator's token is the new one.
      const sent = given === auth || given === json ? { ...given, ...headers } : given
      const res = await fetch(`${influx3.url}${path}${query}`, { method, headers: sent, body: body === undefined ? (method === 'POST' ? 'm v=1' : undefined) : JSON.stringify(body) })
      const key = `${method} ${path} ${res.status}`
      const declared = contract.statuses(path, method)
      const text = await res.text()
      if (SOURCE_OVER_CONTRACT.has(key)) {
        seen.add(key)
        const validate = contract.response(path, method, res.status)
        assert.ok(validate === undefined ? !declared.includes(String(res.status)) : !validate(JSON.parse(text)).valid, `${key}: the contract now accepts the source's answer`)
        continue
      }
      assert.ok(declared.includes(String(res.status)) || declared.includes('default'), `${label}: ${res.status} is not declared (${declared.join(', ')})`)
      const validate = contract.response(path, method, res.status)
      if (validate !== undefined && text !== '') {
        const check = validate(JSON.parse(text))
        assert.ok(check.valid, `${label} ${res.status}: ${check.errors}: ${text}`)
      }
      for (const name of res.status < 300 ? contract.responseHeaders(path, method, res.status) : []) {
        assert.ok(res.headers.has(name), `${label}: no ${name} header`)
      }
      if (path.endsWith('/regenerate') && res.status === 201) headers = { authorization: `Bearer ${(JSON.parse(text) as { token: string }).token}` }
    }
    assert.equal(influx3.count(), calls(build).length)
    assert.deepEqual([...SOURCE_OVER_CONTRACT].filter((k) => !seen.has(k)), [], 'every divergence is exercised')
  })
}

test('fake influx3: the contract\'s required query parameters are the ones the double refuses to go without', async (t) => {
  const influx3 = await startFakeInflux3()
  t.after(() => influx3.close())
  const contract = influx3Contract('Core')
  for (const [method, path] of [['DELETE', '/api/v3/configure/token'], ['GET', '/api/v3/configure/database'], ['DELETE', '/api/v3/configure/database']] as const) {
    assert.ok(contract.queryParameters(path, method).some((p) => p.required), `${method} ${path} requires a parameter`)
    assert.equal((await fetch(`${influx3.url}${path}`, { method, headers: auth })).status, 400, `${method} ${path} without its parameter`)
  }
})
