import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createAccessRules } from '../../src/auth/access-rules.ts'
import type { ConfigUser } from '../../src/config/schema.ts'

const user = (name: string, extra: Partial<ConfigUser>): ConfigUser => ({ name, passwordHash: 'h', disabled: false, ...extra })
const rules = createAccessRules({
  users: [user('alice', { token: 'alice-own' }), user('ops', { groups: ['writers'] })],
  rules: [
    { group: 'writers', token: 'writers-token' },
    { group: 'readers', basic: { username: 'reader', password: 'pw' } },
    { group: 'legacy', jwt: { username: 'legacy' } }
  ]
})

test('a file user\'s own credential first, else the first rule whose group the identity has', () => {
  const cases: Array<[string, Parameters<typeof rules.credentialFor>[0], unknown]> = [
    ['own token', { name: 'alice', source: 'file', groups: ['readers'] }, { token: 'alice-own' }],
    ['file user through groups', { name: 'ops', source: 'file', groups: ['writers'] }, { token: 'writers-token' }],
    ['directory user', { name: 'bob', source: 'ldap', groups: ['readers'] }, { basic: { username: 'reader', password: 'pw' } }],
    ['first match wins, not the group order', { name: 'dave', source: 'ldap', groups: ['readers', 'writers'] }, { token: 'writers-token' }],
    ['jwt rule', { name: 'x', source: 'ldap', groups: ['legacy'] }, { jwt: { username: 'legacy' } }],
    ['no group matches', { name: 'carol', source: 'ldap', groups: ['unrelated'] }, undefined],
    ['no groups', { name: 'carol', source: 'ldap', groups: [] }, undefined],
    ['a directory user named like a file user does not get its credential', { name: 'alice', source: 'ldap', groups: [] }, undefined],
    ['group names match exactly', { name: 'eve', source: 'ldap', groups: ['Writers', 'writers '] }, undefined]
  ]
  for (const [what, identity, expected] of cases) assert.deepEqual(rules.credentialFor(identity), expected, what)
})
