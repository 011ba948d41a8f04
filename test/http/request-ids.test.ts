import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRequestIds } from '../../src/http/request-ids.ts'

test('request ids are 22 base64url characters, distinct across refills of the pool and across generators', () => {
  const a = createRequestIds()
  const b = createRequestIds()
  const seen = new Set<string>()
  for (let i = 0; i < 2000; i++) { // several refills of 256
    for (const id of [a(), b()]) {
      assert.match(id, /^[A-Za-z0-9_-]{22}$/)
      assert.ok(!seen.has(id), `repeated ${id}`)
      seen.add(id)
    }
  }
})
