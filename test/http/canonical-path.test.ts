import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { canonicalPath, resolvePath } from '../../src/canonical-path.ts'

const RUNS = Number(process.env.FUZZ_RUNS ?? 200)

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
