import assert from 'node:assert/strict'
import { test } from 'node:test'
import { expectedNoContent, responseValidator, schemaValidator } from './openapi.ts'

// The validators the gateway's answers are judged by must themselves refuse what the spec does not allow.

test('the validator itself rejects what the spec does not allow', () => {
  const signin401 = responseValidator('/signin', 'post', 401)
  assert.equal(signin401({ code: 'nope' }).valid, false)
  assert.match(signin401({ code: 'nope' }).errors, /allowed values/)
  assert.equal(signin401({ message: 'no code' }).valid, false)
  assert.equal(signin401({ code: 'unauthorized', message: 'unauthorized access' }).valid, true)
  assert.equal(responseValidator('/buckets', 'get', 401)({ code: 'forbidden', message: 'x' }).valid, false)
  assert.equal(schemaValidator('Error')({ code: 42 }).valid, false)
  assert.equal(expectedNoContent('/signin', 'post', 401), false)
})
