import assert from 'node:assert/strict'
import { test } from 'node:test'
import { classifyRoute } from '../../src/http/route-class.ts'

test('public routes are exactly InfluxDB\'s', () => {
  const cases: Array<[string, string, string, boolean]> = [
    ['GET', '/health', 'health', true], ['GET', '/ready', 'health', true], ['HEAD', '/ping', 'health', true],
    ['GET', '/api/v2', 'api', true], ['GET', '/api/v2/setup', 'api', true], ['POST', '/api/v2/setup', 'api', true], ['POST', '/api/v2/setup/user', 'api', false],
    ['GET', '/', 'ui', true], ['GET', '/assets/app.js', 'ui', true], ['GET', '/signin', 'ui', true],
    ['GET', '/api/v2/buckets', 'api', false], ['GET', '/api/v2private/flags', 'api', false], ['GET', '/api', 'api', false],
    ['GET', '/query', 'v1', false], ['POST', '/write', 'v1', false], ['GET', '/metrics', 'metrics', false],
    ['GET', '/debug/vars', 'debug', false], ['GET', '/debug', 'debug', false], ['GET', '/legacy/authorizations', 'legacy', false],
    ['GET', '/API/v2/buckets', 'api', false], ['GET', '/Metrics', 'metrics', false], ['GET', '/queryx', 'ui', true]
  ]
  for (const [method, path, group, isPublic] of cases) {
    const sessionOnly = group === 'metrics' || group === 'debug'
    assert.deepEqual(classifyRoute(method, path), { group, public: isPublic, sessionOnly }, `${method} ${path}`)
  }
})

test('no spelling of a path is public unless it is canonical', () => {
  const sneaky = ['/health/../api/v2/buckets', '/%61pi/v2/buckets', '//api/v2/buckets', '/assets/..', '/./query', '/assets\\..\\api', '/assets/%2e%2e/api/v2/me']
  for (const path of sneaky) assert.equal(classifyRoute('GET', path).public, false, path)
})
