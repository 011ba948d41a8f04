import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createFileUserStore } from '../../src/auth/file-user-store.ts'
import { createWorkLimiter } from '../../src/auth/work-limiter.ts'
import { hashPassword } from '../../src/auth/password.ts'

test('verify tells ok, disabled and invalid apart, and find returns the live entry', async () => {
  const params = { ln: 10, r: 8, p: 1 }
  const alice = { name: 'alice', passwordHash: await hashPassword('a-pass', params), disabled: false, token: 't' }
  const bob = { name: 'bob', passwordHash: await hashPassword('b-pass', params), disabled: true, token: 't' }
  const users = createFileUserStore({ users: [alice, bob], hashLimiter: createWorkLimiter(() => ({ maxConcurrent: 1, maxQueued: 10, maxWaitMs: 60_000 })) })
  const stamp = (passwordHash: string): string | undefined => createFileUserStore({ users: [{ ...alice, passwordHash }], hashLimiter: createWorkLimiter(() => ({ maxConcurrent: 1, maxQueued: 10, maxWaitMs: 60_000 })) }).find('alice')?.stamp
  assert.match(users.find('alice')?.stamp ?? '', /^[\w-]{16}$/, 'a stamp of the password hash')
  assert.equal(stamp(alice.passwordHash), users.find('alice')?.stamp, 'the same hash, the same stamp')
  assert.notEqual(stamp(bob.passwordHash), users.find('alice')?.stamp, 'another hash, another stamp')
  assert.deepEqual(await users.verify('alice', 'a-pass'), { outcome: 'ok', user: users.find('alice') })
  assert.deepEqual(await users.verify('alice', 'b-pass'), { outcome: 'invalid', userKnown: true })
  assert.deepEqual(await users.verify('bob', 'b-pass'), { outcome: 'disabled', user: users.find('bob') })
  assert.deepEqual(await users.verify('bob', 'wrong'), { outcome: 'invalid', userKnown: true })
  assert.deepEqual(await users.verify('mallory', 'a-pass'), { outcome: 'invalid', userKnown: false })
  assert.deepEqual(await users.verify('ALICE', 'a-pass'), { outcome: 'invalid', userKnown: false })
  assert.deepEqual(users.find('alice'), { ...alice, stamp: users.find('alice')?.stamp })
  assert.equal(users.find('nobody'), undefined)
  assert.equal(users.size(), 2)
})
