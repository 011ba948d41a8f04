import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { createFormTokens } from '../../src/session/form-tokens.ts'
import { createRecordSigner } from '../../src/session/record-signer.ts'
import { newSessionId } from '../../src/session/session-id.ts'

test('a form token is bound to its session and to the record key, and is never the id', () => {
  const key = randomBytes(32)
  const tokens = createFormTokens(createRecordSigner({ key }).derive('sessions page form token'))
  const id = newSessionId()
  const token = tokens.tokenFor(id)
  assert.notEqual(token, id)
  assert.equal(tokens.check(id, token), true)
  assert.equal(tokens.check(newSessionId(), token), false, 'another session\'s')
  for (const bad of [undefined, '', token.slice(1), `${token}A`]) assert.equal(tokens.check(id, bad), false, String(bad))
  const replica = createFormTokens(createRecordSigner({ key }).derive('sessions page form token'))
  assert.equal(replica.check(id, token), true, 'a replica with the same record key accepts it')
  const other = createFormTokens(createRecordSigner({ key: randomBytes(32) }).derive('sessions page form token'))
  assert.equal(other.check(id, token), false)
  assert.notEqual(createRecordSigner({ key }).derive('another purpose').toString('hex'), createRecordSigner({ key }).derive('sessions page form token').toString('hex'))
})
