import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createCompositeIdentitySource } from '../../src/auth/composite-identity-source.ts'
import type { IdentitySource, VerifyOutcome } from '../../src/auth/identity-source.ts'

/** A source that knows `names` (password `pw`) and records who asked it. */
function fake (name: 'file' | 'ldap', names: string[], asked: string[]): IdentitySource {
  return {
    name,
    async verify (user, password): Promise<VerifyOutcome> {
      asked.push(`${name}:${user}`)
      if (!names.includes(user)) return { outcome: 'invalid', source: name, userKnown: false }
      return password === 'pw' ? { outcome: 'ok', identity: { name: user, source: name, groups: [] } } : { outcome: 'invalid', source: name, userKnown: true }
    },
    lookup: async () => ({ outcome: 'gone' })
  }
}

test('file users first; the directory only for names the file does not know; a file user\'s wrong password is final', async () => {
  const asked: string[] = []
  const sources = createCompositeIdentitySource([fake('file', ['ops', 'shared'], asked), fake('ldap', ['alice', 'shared'], asked)])
  assert.equal((await sources.verify('ops', 'pw')).outcome, 'ok')
  assert.deepEqual(await sources.verify('alice', 'pw'), { outcome: 'ok', identity: { name: 'alice', source: 'ldap', groups: [] } })
  assert.deepEqual(await sources.verify('shared', 'wrong'), { outcome: 'invalid', source: 'file', userKnown: true })
  assert.deepEqual(await sources.verify('nobody', 'pw'), { outcome: 'invalid', source: 'ldap', userKnown: false })
  assert.deepEqual(asked, ['file:ops', 'file:alice', 'ldap:alice', 'file:shared', 'file:nobody', 'ldap:nobody'])
})

test('a later source cannot prove a name an earlier source owns (the directory spelling `Ops` as `ops`)', async () => {
  const file: IdentitySource = {
    name: 'file',
    verify: async () => ({ outcome: 'invalid', source: 'file', userKnown: false }),
    lookup: async (name) => name === 'ops' ? { outcome: 'found', identity: { name, source: 'file', groups: [] } } : { outcome: 'gone' }
  }
  const directory: IdentitySource = {
    name: 'ldap',
    verify: async (typed) => ({ outcome: 'ok', identity: { name: typed.trim().toLowerCase(), source: 'ldap', groups: ['g'] } }),
    lookup: async () => ({ outcome: 'gone' })
  }
  const sources = createCompositeIdentitySource([file, directory])
  assert.deepEqual(await sources.verify('Ops', 'pw'), { outcome: 'invalid', source: 'ldap', userKnown: false })
  assert.equal((await sources.verify('Dora', 'pw')).outcome, 'ok')
})
