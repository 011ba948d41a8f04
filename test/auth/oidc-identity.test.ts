import assert from 'node:assert/strict'
import { test } from 'node:test'
import { oidcIdentity } from '../../src/auth/oidc-identity.ts'

const MAPPING = { usernameClaim: 'preferred_username', groupsClaim: 'groups' }

test('the name and groups come from the mapped claims', () => {
  assert.deepEqual(oidcIdentity({ sub: '1', preferred_username: 'alice', groups: ['a', 'b', 'a', '', 7] }, MAPPING),
    { name: 'alice', source: 'oidc', groups: ['a', 'b'] })
  assert.deepEqual(oidcIdentity({ preferred_username: 'alice', groups: 'solo' }, MAPPING), { name: 'alice', source: 'oidc', groups: ['solo'] })
  assert.deepEqual(oidcIdentity({ preferred_username: 'alice' }, MAPPING), { name: 'alice', source: 'oidc', groups: [] })
})

test('a dotted groupsClaim reaches nested claims; an exact claim name with dots wins', () => {
  const mapping = { usernameClaim: 'email', groupsClaim: 'realm_access.roles' }
  assert.deepEqual(oidcIdentity({ email: 'a@x', realm_access: { roles: ['r'] } }, mapping)?.groups, ['r'])
  assert.deepEqual(oidcIdentity({ email: 'a@x', 'realm_access.roles': ['exact'], realm_access: { roles: ['r'] } }, mapping)?.groups, ['exact'])
  assert.deepEqual(oidcIdentity({ email: 'a@x', realm_access: ['r'] }, mapping)?.groups, [])
  const auth0 = { usernameClaim: 'email', groupsClaim: 'https://example.org/groups' }
  assert.deepEqual(oidcIdentity({ email: 'a@x', 'https://example.org/groups': ['g'] }, auth0)?.groups, ['g'])
})

test('no usable name: no identity', () => {
  for (const name of [undefined, '', 42, ['alice'], 'x'.repeat(257)]) {
    assert.equal(oidcIdentity({ preferred_username: name, groups: ['a'] }, MAPPING), undefined, String(name))
  }
  assert.equal(oidcIdentity({ __proto__: { preferred_username: 'inherited' } } as Record<string, unknown>, MAPPING), undefined)
})
