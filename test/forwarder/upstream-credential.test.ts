import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { test } from 'node:test'
import { createCredentialBuilder, JWT_LIFETIME_S } from '../../src/forwarder/upstream-credential.ts'

const base = { name: 'u', passwordHash: 'h', disabled: false, stamp: 's' }
const NOW = Date.UTC(2026, 10, 28, 12, 0, 0, 750)

test('token and basic users get InfluxDB 2 and 1.x Authorization values', () => {
  const build = createCredentialBuilder({ jwtSharedSecret: undefined, now: () => NOW })
  assert.equal(build({ ...base, token: 'tok==' }), 'Token tok==')
  assert.equal(build({ ...base, basic: { username: 'bob', password: 'p:w' } }), `Basic ${Buffer.from('bob:p:w').toString('base64')}`)
  assert.throws(() => build({ ...base, jwt: { username: 'carol' } }), /no usable upstream credential/)
})

test('jwt users get a fresh HS256 JWT {username, exp} that verifies with the shared secret', () => {
  const build = createCredentialBuilder({ jwtSharedSecret: 'shared-secret', now: () => NOW })
  const header = build({ ...base, jwt: { username: 'carol' } })
  const m = /^Bearer ([\w-]+)\.([\w-]+)\.([\w-]+)$/.exec(header)
  assert.ok(m, header)
  const [, h, p, sig] = m as unknown as [string, string, string, string]
  assert.deepEqual(JSON.parse(Buffer.from(h, 'base64url').toString()), { alg: 'HS256', typ: 'JWT' })
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString())
  assert.deepEqual(claims, { username: 'carol', exp: Math.floor(NOW / 1000) + JWT_LIFETIME_S })
  assert.ok(claims.exp - NOW / 1000 <= 60)
  assert.equal(sig, createHmac('sha256', 'shared-secret').update(`${h}.${p}`).digest('base64url'))
  assert.notEqual(sig, createHmac('sha256', 'other-secret').update(`${h}.${p}`).digest('base64url'))
})

test('a JWT is reused until 10 s before it expires, then signed afresh; other values are built once per credential', () => {
  let now = NOW
  const build = createCredentialBuilder({ jwtSharedSecret: 'shared-secret', now: () => now })
  const carol = { ...base, jwt: { username: 'carol' } }
  const first = build(carol)
  const exp = (header: string): number => JSON.parse(Buffer.from(header.split('.')[1] as string, 'base64url').toString()).exp
  now += (JWT_LIFETIME_S - 11) * 1000
  assert.equal(build(carol), first, 'still 11 s or more to live: reused')
  now += 1000
  const second = build(carol)
  assert.notEqual(second, first)
  assert.ok(exp(second) - Math.floor(now / 1000) === JWT_LIFETIME_S, 'a full lifetime again: never sent with under 10 s left')
  now += 1000
  assert.equal(build(carol), second, 'the new one is reused in turn')
  assert.notEqual(build({ ...carol }), second, 'another credential object (a reload) gets its own')
})
