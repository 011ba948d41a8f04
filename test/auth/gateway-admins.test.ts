import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createGatewayAdmins } from '../../src/auth/gateway-admins.ts'

const TOKEN = 'a'.repeat(32) + 'b'.repeat(12)

test('a file user by name, anyone by group: a directory, single sign-on or proxy user of an admin\'s name is someone else', () => {
  const admins = createGatewayAdmins({ users: ['alice'], groups: ['ops'], apiTokens: [] })
  assert.equal(admins.isAdmin({ name: 'alice', source: 'file', groups: [] }), true)
  for (const source of ['ldap', 'oidc', 'proxy'] as const) assert.equal(admins.isAdmin({ name: 'alice', source, groups: [] }), false, source)
  assert.equal(admins.isAdmin({ name: 'bob', source: 'ldap', groups: ['dev', 'ops'] }), true)
  assert.equal(admins.isAdmin({ name: 'bob', source: 'file', groups: ['dev'] }), false)
})

test('an API token only as Bearer, only one configured, whole', () => {
  const admins = createGatewayAdmins({ users: [], groups: [], apiTokens: ['z'.repeat(40), TOKEN] })
  assert.equal(admins.isAdminToken(`Bearer ${TOKEN}`), true)
  assert.equal(admins.isAdminToken(`bearer ${TOKEN}`), true)
  for (const header of [undefined, '', `Token ${TOKEN}`, `Bearer ${TOKEN.slice(0, -1)}`, `Bearer ${TOKEN}x`, 'Bearer ', `Basic ${TOKEN}`]) {
    assert.equal(admins.isAdminToken(header), false, String(header))
  }
  assert.equal(createGatewayAdmins({ users: [], groups: [], apiTokens: [] }).isAdminToken('Bearer '), false)
})
