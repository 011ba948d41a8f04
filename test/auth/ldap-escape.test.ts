import assert from 'node:assert/strict'
import { test } from 'node:test'
import { escapeDnValue, fillDn, fillFilter } from '../../src/auth/ldap-escape.ts'

test('filter values are escaped per RFC 4515: no wildcard, no clause, no early end', () => {
  const cases: Array<[string, string]> = [
    ['alice', '(uid=alice)'],
    ['a*', '(uid=a\\2a)'],
    ['admin)(uid=*', '(uid=admin\\29\\28uid=\\2a)'],
    ['\\61lice', '(uid=\\5c61lice)'],
    ['nul\0', '(uid=nul\\00)'],
    ['jöhn', '(uid=jöhn)']
  ]
  for (const [name, filter] of cases) assert.equal(fillFilter('(uid={username})', { username: name }), filter, JSON.stringify(name))
  assert.equal(fillFilter('(|(member={dn})(memberUid={username}))', { dn: 'cn=Smith\\, J (IT),ou=p', username: 'j*' }), '(|(member=cn=Smith\\5c, J \\28IT\\29,ou=p)(memberUid=j\\2a))')
})

test('DN values are escaped per RFC 4514: no added RDN, no multi-valued RDN', () => {
  const cases: Array<[string, string]> = [
    ['alice', 'alice'],
    ['mallory,ou=disabled', 'mallory\\,ou\\=disabled'],
    ['a+cn=x', 'a\\+cn\\=x'],
    ['"q";<>\\', '\\"q\\"\\;\\<\\>\\\\'],
    [' lead', '\\ lead'],
    ['trail ', 'trail\\ '],
    ['#hash', '\\#hash'],
    ['mid#dle', 'mid#dle'],
    ['nul\0\n', 'nul\\00\\0a']
  ]
  for (const [value, escaped] of cases) assert.equal(escapeDnValue(value), escaped, JSON.stringify(value))
  assert.equal(fillDn('uid={username},ou=people,dc=example,dc=org', 'm,ou=x'), 'uid=m\\,ou\\=x,ou=people,dc=example,dc=org')
})
