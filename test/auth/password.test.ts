import assert from 'node:assert/strict'
import { test } from 'node:test'
import { dummyPasswordHash, hashPassword, verifyPassword } from '../../src/auth/password.ts'
import { DEFAULT_SCRYPT, parsePasswordHash } from '../../src/config/password-hash.ts'

test('hashPassword encodes scrypt parameters and a fresh salt; verifyPassword checks it', async () => {
  const hash = await hashPassword('correct horse', DEFAULT_SCRYPT)
  assert.match(hash, /^\$scrypt\$ln=14,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
  assert.equal(await verifyPassword('correct horse', hash), true)
  assert.equal(await verifyPassword('correct horsE', hash), false)
  assert.notEqual(await hashPassword('correct horse', DEFAULT_SCRYPT), hash, 'salted')
})

test('verifyPassword honours the parameters in the string and normalises Unicode', async () => {
  const hash = await hashPassword('Ångström', { ln: 10, r: 4, p: 2 })
  assert.deepEqual(parsePasswordHash(hash)?.params, { ln: 10, r: 4, p: 2 })
  assert.equal(await verifyPassword('A\u030Angstro\u0308m', hash), true)
})

test('malformed or out-of-bounds hashes are refused, not crashed on', async () => {
  const good = await hashPassword('x', { ln: 10, r: 8, p: 1 })
  const bad = [
    '', 'plain', '{PLAIN}x', '$2b$10$abcdefghijklmnopqrstuu5Zl9yY1XyQ3JmG9Jb3xN2Q9G6gL4Z2', good.replace('ln=10', 'ln=30'), good.replace('ln=10', 'ln=20'),
    good.replace('ln=10', 'ln=9'), good.replace('p=1', 'p=0'), good.slice(0, -10), `${good}$extra`
  ]
  for (const h of bad) {
    assert.equal(parsePasswordHash(h), undefined, h)
    assert.equal(await verifyPassword('x', h), false)
  }
})

test('dummyPasswordHash matches no password and costs as much as the costliest configured hash', async () => {
  const cheap = await hashPassword('a', { ln: 10, r: 8, p: 1 })
  const dear = await hashPassword('b', { ln: 12, r: 8, p: 2 })
  const dummy = dummyPasswordHash([cheap, dear, 'malformed'])
  assert.deepEqual(parsePasswordHash(dummy)?.params, { ln: 12, r: 8, p: 2 }, 'the costliest configured')
  assert.deepEqual(parsePasswordHash(dummyPasswordHash([]))?.params, { ln: 14, r: 8, p: 1 }, 'the default without users')
  const heavier = await hashPassword('c', { ln: 15, r: 8, p: 1 })
  assert.deepEqual(parsePasswordHash(dummyPasswordHash([cheap, heavier]))?.params, { ln: 15, r: 8, p: 1 })
  assert.equal(await verifyPassword('', dummy), false)
  assert.notEqual(dummyPasswordHash([]), dummyPasswordHash([]), 'random each time')
})
