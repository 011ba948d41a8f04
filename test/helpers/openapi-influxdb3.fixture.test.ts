/**
 * The trimmed InfluxDB 3 contracts in test/fixtures/influxdb3-openapi/ must hold every operation the InfluxDB 3
 * double imitates and the gateway calls, and be self-contained: a regeneration that dropped one would otherwise
 * show up only as a confusing failure elsewhere (or a validator that checks nothing).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { extractFixture } from '../../scripts/extract-openapi-fixture.ts'
import { CORE_FIXTURE_PATHS, ENTERPRISE_FIXTURE_PATHS } from '../../scripts/extract-influxdb3-openapi-fixture.ts'
import { influx3Contract, type Influx3Build } from './openapi-influxdb3.ts'

/** `METHOD path` the double answers or the gateway sends, on both builds. */
const OPERATIONS = [
  'GET /ping', 'POST /ping', 'GET /health', 'GET /api/v1/health', 'GET /metrics', 'POST /write', 'GET /query', 'POST /query',
  'POST /api/v2/write', 'POST /api/v3/write_lp', 'GET /api/v3/query_sql', 'POST /api/v3/query_sql', 'GET /api/v3/query_influxql',
  'POST /api/v3/query_influxql', 'GET /api/v3/configure/database', 'POST /api/v3/configure/database', 'DELETE /api/v3/configure/database',
  'DELETE /api/v3/configure/token', 'POST /api/v3/configure/token/admin', 'POST /api/v3/configure/token/admin/regenerate',
  'POST /api/v3/configure/token/named_admin'
]
const ENTERPRISE_ONLY = ['POST /api/v3/enterprise/configure/token']

for (const [build, operations, paths] of [
  ['Core', OPERATIONS, CORE_FIXTURE_PATHS], ['Enterprise', [...OPERATIONS, ...ENTERPRISE_ONLY], ENTERPRISE_FIXTURE_PATHS]
] as Array<[Influx3Build, string[], string[]]>) {
  test(`the InfluxDB 3 ${build} fixture has every operation the double and the gateway rely on, and is self-contained`, () => {
    const contract = influx3Contract(build)
    const missing = operations.filter((op) => !contract.has(op.split(' ')[1] as string, op.split(' ')[0] as string))
    assert.deepEqual(missing, [])
    for (const op of operations) assert.ok(paths.includes(op.split(' ')[1] as string), `${op} is not in the ${build} fixture paths`)
    const again = extractFixture(contract.doc, paths)
    assert.deepEqual(again.paths, contract.doc.paths)
    assert.deepEqual(again.components, contract.doc.components)
    assert.equal(contract.response('/api/v3/configure/token/named_admin', 'post', 401)?.({ error: 42 }).valid, false)
  })
}

test('Core\'s contract has no resource tokens; Enterprise\'s does', () => {
  assert.equal(influx3Contract('Core').has('/api/v3/enterprise/configure/token', 'post'), false)
  assert.equal(influx3Contract('Enterprise').has('/api/v3/enterprise/configure/token', 'post'), true)
})
