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

test('groups of another shape give no group; exact names only, no folding; bounded in length and number', () => {
  for (const groups of [{ 'influx-readers': true }, [['influx-readers']], 42, null, true, { length: 1, 0: 'influx-readers' }]) {
    assert.deepEqual(oidcIdentity({ preferred_username: 'alice', groups }, MAPPING)?.groups, [], JSON.stringify(groups))
  }
  assert.deepEqual(oidcIdentity({ preferred_username: 'alice', groups: ['Influx-Readers', 'influx\u2010readers'] }, MAPPING)?.groups,
    ['Influx-Readers', 'influx\u2010readers'], 'kept as stated: a rule for influx-readers matches neither')
  const many = Array.from({ length: 1500 }, (_, i) => `g${i}`)
  assert.equal(oidcIdentity({ preferred_username: 'alice', groups: [...many, 'x'.repeat(257)] }, MAPPING)?.groups.length, 1000)
  assert.equal(oidcIdentity({ preferred_username: 'alice', groups: 'x'.repeat(257) }, MAPPING)?.groups.length, 0)
  const proto = { usernameClaim: 'preferred_username', groupsClaim: 'constructor.name' }
  assert.deepEqual(oidcIdentity({ preferred_username: 'alice' }, proto)?.groups, [], 'no inherited property is a claim')
})
