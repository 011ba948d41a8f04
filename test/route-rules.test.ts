import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { canonicalPath, classifyRoute, isUtf8Path, resolvePath, targetProblem } from '../src/route-rules.ts'

const RUNS = Number(process.env.FUZZ_RUNS ?? 200)

test('targetProblem: only plain framing and plain origin-form targets pass', () => {
  const cases: Array<[string, string | undefined, string | undefined]> = [
    ['/api/v2/buckets?org=o', undefined, undefined], ['/', 'chunked', undefined], ['/write', ' Chunked ', undefined],
    ['/write', 'gzip, chunked', 'transferCodingNotImplemented'], ['/write', 'chunked, chunked', 'transferCodingNotImplemented'],
    ['/write', 'identity', 'transferCodingNotImplemented'], ['http://influx/api/v2/buckets', undefined, 'badRequest'],
    ['*', undefined, 'badRequest'], ['/api#frag', undefined, 'badRequest'], ['/health/../api/v2/buckets', undefined, 'badRequest'],
    ['/api/v2/%2e%2e/me', undefined, 'badRequest'], ['/api/v2/%2E./me', undefined, 'badRequest'], ['//api/v2/me', undefined, 'badRequest'],
    ['/api\\v2', undefined, 'badRequest'], ['/api%2fv2', undefined, 'badRequest'], ['/api%5Cv2', undefined, 'badRequest'],
    ['/api/./v2', undefined, 'badRequest'], ['/query?q=a/../b', undefined, undefined], ['/a.b/..c', undefined, undefined]
  ]
  for (const [target, te, kind] of cases) assert.equal(targetProblem(target, te)?.kind, kind, `${target} ${String(te)}`)
})

test('a path whose percent-escapes are not UTF-8 is refused before any route rule: 400 invalid', () => {
  const notText = [
    '/debu%67/vars%ff', '/debug/vars%FF', '/debug/requests%c0', '/query%ff', '/query/%ff', '/a%c0%af', '/a%C0%AE%C0%AE',
    '/a%ed%a0%80', '/a%e2%82', '/a%f4%90%80%80', '/a%80', '/a%zz', '/a%f', '/a%', '/%%61pi', '/api/v2/%ff?org=o'
  ]
  for (const target of notText) {
    const problem = targetProblem(target, undefined)
    assert.equal(problem?.kind, 'badRequest', target)
    assert.equal(problem?.code, 'invalid')
    assert.equal(problem?.message, 'request path must be percent-encoded UTF-8')
    assert.equal(isUtf8Path(target.split('?')[0] as string), false, target)
  }
  // Text in any script, escaped as UTF-8, and the query string (read by InfluxDB pair by pair) pass.
  for (const target of ['/dashboards/%C3%A9t%C3%A9', '/x/%E2%82%AC%F0%9F%98%80', '/%71uery', '/query?q=%ff&db=%c0', '/a%2525']) {
    assert.equal(targetProblem(target, undefined), undefined, target)
  }
})

test('the canonical path is never the raw path: escapes that are not UTF-8 decode to U+FFFD, and keep their route', () => {
  assert.equal(canonicalPath('/debu%67/vars%ff'), '/debug/vars\ufffd')
  assert.equal(canonicalPath('/QUERY/%c0%af'), '/query/\ufffd\ufffd')
  assert.equal(canonicalPath('/%71uery%ed%a0%80'), '/query\ufffd\ufffd\ufffd')
  assert.equal(canonicalPath('/debu%67/%zz'), '/debug/%zz', 'a malformed escape stays, the others are decoded')
  assert.deepEqual(classifyRoute('GET', '/debu%67/vars%ff'), { group: 'debug', public: false, sessionOnly: true })
  assert.deepEqual(classifyRoute('GET', '/query/%ff'), { group: 'v1', public: false, sessionOnly: false })
  assert.equal(classifyRoute('GET', '/query%ff').public, false, 'not canonical, so not public')
})

test('spellings of a route fold to one canonical path', () => {
  for (const spelling of ['/api/v2/setup', '/API/v2/Setup/', '/api/v2//setup', '/api/v2/%73etup', '/api/./v2/x/../setup', '\\api\\v2\\setup']) {
    assert.equal(canonicalPath(spelling), '/api/v2/setup', spelling)
  }
  assert.equal(canonicalPath('/'), '/')
  assert.equal(canonicalPath(''), '/')
})

test('the fast path for plain paths agrees with full resolution on any path', () => {
  // Paths from the characters that matter: separators, dots, escapes, case.
  const path = fc.array(fc.constantFrom('/', '.', '%', '2', 'e', 'F', '\\', 'a', 'B', '-', '_', '~'), { maxLength: 24 }).map((cs) => cs.join(''))
  fc.assert(fc.property(path, (p) => { assert.equal(canonicalPath(p), resolvePath(p)) }), { numRuns: RUNS * 10 })
  fc.assert(fc.property(path, (p) => { assert.equal(canonicalPath(`/${p}`), resolvePath(`/${p}`)) }), { numRuns: RUNS * 10 })
})

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

test('every spelling of a protected route is in its group: resource isolation and the session-only rule go by it', () => {
  const cases: Array<[string, string]> = [
    ['/%71uery', 'v1'], ['/%51UERY', 'v1'], ['/wri%74e', 'v1'], ['/%61pi/v2/buckets', 'api'], ['/debu%67/vars', 'debug'],
    ['/%6detrics', 'metrics'], ['/Legacy/authorizations', 'legacy'], ['/health/', 'health']
  ]
  for (const [path, group] of cases) assert.equal(classifyRoute('GET', path).group, group, path)
  assert.equal(classifyRoute('GET', '/debu%67/vars').sessionOnly, true)
})

test('no spelling of a path is public unless it is canonical', () => {
  const sneaky = ['/health/../api/v2/buckets', '/%61pi/v2/buckets', '//api/v2/buckets', '/assets/..', '/./query', '/assets\\..\\api', '/assets/%2e%2e/api/v2/me']
  for (const path of sneaky) assert.equal(classifyRoute('GET', path).public, false, path)
})
