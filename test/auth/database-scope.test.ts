/** InfluxDB 3 database rules (src/auth/database-scope.ts): names, globs, and what a glob never reaches. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { compileDatabaseScope } from '../../src/auth/database-scope.ts'

test('exact names and globs; a glob never reaches _internal or a <db>/<rp> database unless written so', () => {
  const scope = compileDatabaseScope({ databases: { read: ['telemetry', 'lab_*', '*'], write: ['telemetry'] } })
  assert.ok(scope !== undefined)
  const rows: Array<[string, boolean]> = [
    ['telemetry', true], ['lab_1', true], ['lab_', true], ['anything', true],
    ['_internal', false], ['telemetry/weekly', false], ['lab_1/rp', false]
  ]
  for (const [db, readable] of rows) assert.equal(scope.canRead(db), readable, db)
  assert.equal(scope.canWrite('telemetry'), true)
  assert.equal(scope.canWrite('lab_1'), false)
  assert.equal(scope.admin, false)
})

test('a pattern that names them reaches them; regex characters in a name are literal', () => {
  const scope = compileDatabaseScope({ databases: { read: ['_internal', 'tele*/*', 'a.b'], write: [] }, admin: true })
  assert.ok(scope !== undefined)
  assert.equal(scope.canRead('_internal'), true)
  assert.equal(scope.canRead('telemetry/weekly'), true)
  assert.equal(scope.canRead('a.b'), true)
  assert.equal(scope.canRead('axb'), false)
  assert.equal(scope.admin, true)
  assert.equal(compileDatabaseScope({}), undefined, 'neither databases nor admin: no scope')
})
