/** The permissions of an Enterprise resource token, from a rule's databases (src/mint/influx3-backend.ts). */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { resourcePermissions } from '../../src/mint/influx3-backend.ts'

const EXISTING = ['_internal', 'telemetry', 'telemetry/weekly', 'lab_1', 'lab_2', 'secret', 'lab_1']

test('globs expand over the existing databases, with the gateway\'s own matching; names that do not exist are left out', () => {
  assert.deepEqual(resourcePermissions({ read: ['telemetry', 'lab_*', 'missing'], write: ['telemetry', 'lab_2'] }, EXISTING), [
    { resource_type: 'db', resource_names: ['lab_1'], actions: ['read'] },
    { resource_type: 'db', resource_names: ['lab_2', 'telemetry'], actions: ['read', 'write'] }
  ])
})

test('* is expanded too, and never reaches _internal or a <db>/<rp> database unless written so', () => {
  assert.deepEqual(resourcePermissions({ read: ['*'], write: [] }, EXISTING), [
    { resource_type: 'db', resource_names: ['lab_1', 'lab_2', 'secret', 'telemetry'], actions: ['read'] }
  ])
  assert.deepEqual(resourcePermissions({ read: ['_internal', 'telemetry/*'], write: [] }, EXISTING), [
    { resource_type: 'db', resource_names: ['_internal', 'telemetry/weekly'], actions: ['read'] }
  ])
})

test('no existing database matches: no permission (the sign-in is refused rather than a token made for nothing)', () => {
  assert.deepEqual(resourcePermissions({ read: ['archive_*'], write: [] }, EXISTING), [])
  assert.deepEqual(resourcePermissions({ read: [], write: [] }, EXISTING), [])
})
