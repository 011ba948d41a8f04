/** What an InfluxDB 3 write or query reaches (src/influx3/influx3-target.ts), and what its rule allows (src/access/influx3-decision.ts). */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { influx3Decision } from '../../src/access/influx3-decision.ts'
import { compileDatabaseScope } from '../../src/auth/database-scope.ts'
import { influx3Route } from '../../src/influx3/influx3-route.ts'
import { influx3Target } from '../../src/influx3/influx3-target.ts'

const route = (path: string): Extract<ReturnType<typeof influx3Route>, { kind: 'write' | 'query' }> => {
  const r = influx3Route(path)
  assert.ok(r.kind === 'write' || r.kind === 'query', path)
  return r
}

const ROWS: Array<[string, string, Record<string, string> | undefined, string]> = [
  ['/api/v3/write_lp', 'db=telemetry', undefined, 'write telemetry'],
  ['/api/v2/write', 'bucket=telemetry&org=o', undefined, 'write telemetry'],
  ['/write', 'db=telemetry&rp=autogen', undefined, 'write telemetry'],
  ['/write', 'db=telemetry&rp=weekly', undefined, 'write telemetry/weekly'],
  ['/write', 'db=a&db=b', undefined, 'refused: db is given more than once'],
  ['/api/v3/write_lp', '', undefined, 'refused: the write names no database (db)'],
  ['/api/v3/query_sql', 'db=telemetry&q=SELECT%201', undefined, 'read telemetry'],
  ['/api/v3/query_sql', 'q=SELECT%201', { db: 'telemetry' }, 'read telemetry'],
  ['/api/v3/query_sql', 'db=telemetry', { db: 'other', q: 'SELECT 1' }, 'refused: db is given more than once'],
  ['/query', 'db=telemetry&q=SELECT%20*%20FROM%20other..cpu', undefined, 'read other'],
  ['/query', 'db=telemetry&q=SELECT%20*%20FROM%20cpu', undefined, 'read telemetry'],
  ['/query', 'q=SHOW%20DATABASES', undefined, 'read (show databases)'],
  ['/api/v3/query_influxql', 'q=SHOW%20DATABASES&format=csv', undefined, 'refused: SHOW DATABASES is answered as format=json only'],
  ['/query', 'q=SHOW%20DATABASES;SELECT%20*%20FROM%20a..b', undefined, 'refused: SHOW DATABASES must be sent alone'],
  ['/query', 'db=t&q=DROP%20MEASUREMENT%20cpu', undefined, 'refused: InfluxDB 3 does not run DROP MEASUREMENT']
]

for (const [path, qs, body, expected] of ROWS) {
  test(`${path}?${qs}${body === undefined ? '' : ` + ${JSON.stringify(body)}`} → ${expected}`, () => {
    const target = influx3Target(route(path), {
      query: new URLSearchParams(qs), body: body === undefined ? undefined : new Map(Object.entries(body).map(([k, v]) => [k, [v]]))
    })
    const line = !target.ok
      ? `refused: ${target.reason}`
      : `${target.access} ${target.access === 'read' && target.showDatabases ? '(show databases)' : target.databases.join(',')}`
    assert.equal(line, expected)
  })
}

test('the decision: admin, health, writes and reads against a scope; no scope grants nothing', () => {
  const scope = compileDatabaseScope({ databases: { read: ['t*'], write: ['t1'] } })
  const write = influx3Target(route('/api/v3/write_lp'), { query: new URLSearchParams('db=t2') })
  assert.deepEqual(influx3Decision(scope, influx3Route('/api/v3/write_lp'), write), { allowed: false, reason: 'no write access to database "t2"' })
  assert.deepEqual(influx3Decision(scope, influx3Route('/ping')), { allowed: true })
  assert.equal(influx3Decision(scope, influx3Route('/api/v3/configure/database')).allowed, false)
  assert.equal(influx3Decision(scope, influx3Route('/api/v3/some_new_route')).allowed, false, 'a route the gateway does not know is administration')
  assert.equal(influx3Decision(undefined, influx3Route('/ping')).allowed, false)
  const show = influx3Decision(scope, influx3Route('/query'), influx3Target(route('/query'), { query: new URLSearchParams('q=SHOW DATABASES') }))
  assert.ok(show.allowed && show.showDatabases !== undefined && show.showDatabases('t9') && !show.showDatabases('x'))
})
