import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isTokenAuthorization, parseBasicAuth } from '../../src/auth/basic-auth.ts'

const b64 = (s: string): string => Buffer.from(s).toString('base64')

test('parseBasicAuth accepts RFC 7617 credentials', () => {
  assert.deepEqual(parseBasicAuth(`Basic ${b64('alice:pw')}`), { username: 'alice', password: 'pw' })
  assert.deepEqual(parseBasicAuth(`basic ${b64('alice:pw:with:colons')}`), { username: 'alice', password: 'pw:with:colons' })
  assert.deepEqual(parseBasicAuth(`BASIC  ${b64('älice:pässword')}`), { username: 'älice', password: 'pässword' })
  assert.deepEqual(parseBasicAuth(`Basic ${b64('alice:')}`), { username: 'alice', password: '' })
})

test('parseBasicAuth refuses everything else', () => {
  const bad = [
    undefined, '', 'Basic', 'Basic ', `Bearer ${b64('a:b')}`, `Token ${b64('a:b')}`, `Basic ${b64('nocolon')}`,
    `Basic ${b64(':pw')}`, 'Basic !!!!', 'Basic YWxpY2U6cHc', `Basic ${b64('a:b')} extra`, `Basic${b64('a:b')}`
  ]
  for (const header of bad) assert.equal(parseBasicAuth(header), undefined, String(header))
})

test('isTokenAuthorization recognises the schemes InfluxDB lets win over the cookie', () => {
  for (const h of ['Token abc', 'token abc', 'Bearer x.y.z', 'BEARER x']) assert.equal(isTokenAuthorization(h), true, h)
  for (const h of [undefined, '', 'Token', 'Token ', 'Basic abc', 'Tokenabc', 'Token admin:pw', 'Bearer a:b']) {
    assert.equal(isTokenAuthorization(h), false, String(h))
  }
})
