/**
 * The trimmed OpenAPI contract in test/fixtures/influxdb-openapi/ must hold every operation and schema the
 * tests rely on, and be self-contained: a regeneration that dropped one would otherwise only show up as a
 * confusing failure somewhere else (or as a validator that silently checks nothing).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { extractFixture, FIXTURE_PATHS } from '../../scripts/extract-openapi-fixture.ts'
import { responseValidator, schemaValidator, spec } from './openapi.ts'

type Json = Record<string, unknown>

/** `METHOD path` the tests validate against, the double imitates, or a token-minting feature will call. */
const OPERATIONS = [
  'GET /', 'POST /signin', 'POST /signout', 'GET /me', 'GET /setup', 'POST /setup', 'GET /health', 'GET /ping', 'HEAD /ping',
  'GET /ready', 'GET /metrics', 'POST /write', 'POST /query', 'GET /buckets', 'POST /buckets', 'GET /buckets/{bucketID}',
  'GET /orgs', 'POST /orgs', 'GET /orgs/{orgID}', 'GET /users', 'POST /users', 'GET /users/{userID}',
  'GET /authorizations', 'POST /authorizations', 'GET /authorizations/{authID}', 'DELETE /authorizations/{authID}'
]
/** Schemas named directly by the tests (fake-influx.test.ts, test/http/sign-in-routes.openapi.test.ts) or the token-minting feature. */
const SCHEMAS = [
  'Error', 'HealthCheck', 'Bucket', 'Buckets', 'Routes', 'Ready', 'IsOnboarding', 'OnboardingResponse', 'UserResponse', 'Users',
  'Organization', 'Organizations', 'Authorization', 'AuthorizationPostRequest', 'Authorizations', 'Permission'
]

test('the OpenAPI fixture has every operation and schema the tests rely on', () => {
  const { doc } = spec()
  const paths = doc.paths as Record<string, Json>
  const missing = OPERATIONS.filter((op) => {
    const [method, path] = op.split(' ') as [string, string]
    return paths[path]?.[method.toLowerCase()] === undefined
  })
  assert.deepEqual(missing, [], 'operations missing from test/fixtures/influxdb-openapi/oss.yml')
  const schemas = (doc.components as { schemas: Json }).schemas
  assert.deepEqual(SCHEMAS.filter((name) => schemas[name] === undefined), [], 'schemas missing from the fixture')
  for (const op of OPERATIONS) assert.ok(FIXTURE_PATHS.includes(op.split(' ')[1] as string), `${op} is not in FIXTURE_PATHS`)
})

test('the OpenAPI fixture is self-contained: every $ref resolves, and re-extracting it changes nothing', () => {
  const { doc } = spec()
  // The extractor throws on a $ref it cannot resolve and keeps only what is referenced.
  const again = extractFixture(doc)
  assert.deepEqual(again.paths, doc.paths)
  assert.deepEqual(again.components, doc.components)
  // And the validators compile against it (ajv resolves every $ref they reach).
  for (const name of SCHEMAS) assert.equal(typeof schemaValidator(name), 'function')
  assert.equal(responseValidator('/authorizations', 'post', 201)({ nope: 1 }).valid, false)
})
