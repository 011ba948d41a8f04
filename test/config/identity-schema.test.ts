/** The `ldap:`, `access:` and `users[].groups` parts of the schema (src/config/identity-schema.ts), through the real loader: every problem with its YAML path. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseConfig } from '../../src/config/load.ts'
import { configProblems, noFiles } from '../helpers/config-problems.ts'

const HASH = '$scrypt$ln=10,r=8,p=1$uDyn97wvXrkoAQ4nUKGD+w$/WbpnP3LMQN+keOkp4jNKfy1+E3EP8sw7DDHYmD1JgM'
const ENV = { LDAP_BIND_PASSWORD: 'bind-secret', WRITERS_TOKEN: 'w-token', READERS_TOKEN: 'r-token' }

const LDAP = `ldap:
  url: ldap://127.0.0.1:389
  bindDN: cn=gateway,ou=services,dc=example,dc=org
  bindPassword: \${LDAP_BIND_PASSWORD}
  userBase: ou=people,dc=example,dc=org
  userFilter: (uid={username})
  groupBase: ou=groups,dc=example,dc=org
  groupFilter: (member={dn})
  groupNameAttribute: cn
  timeout: 5s
  refreshInterval: 5m
access:
  - group: influx-writers
    token: \${WRITERS_TOKEN}
  - group: influx-readers
    token: \${READERS_TOKEN}
users:
  - name: ops
    passwordHash: "${HASH}"
    groups: [influx-writers]
`

function problems (yaml: string, readFile = noFiles): string[] {
  return configProblems(yaml, ENV, readFile)
}

test('the documented example parses, durations in ms and the bind password from the environment', () => {
  const config = parseConfig(LDAP, { env: ENV, readFile: noFiles })
  assert.equal(config.ldap?.bindPassword, 'bind-secret')
  assert.equal(config.ldap?.timeout, 5000)
  assert.equal(config.ldap?.refreshInterval, 300_000)
  assert.equal(config.ldap?.maxConcurrentBinds, 4)
  assert.deepEqual(config.access, [{ group: 'influx-writers', token: 'w-token' }, { group: 'influx-readers', token: 'r-token' }])
  assert.deepEqual(config.users[0]?.groups, ['influx-writers'])
})

test('every problem of the section is reported, each with its YAML path', () => {
  const yaml = LDAP
    .replace('url: ldap://127.0.0.1:389', 'url: ldap://ldap.example.org')
    .replace('bindPassword: ${LDAP_BIND_PASSWORD}', 'bindPassword: inline-secret')
    .replace('userFilter: (uid={username})', 'userFilter: (uid=alice)')
    .replace('groupFilter: (member={dn})', 'groupFilter: (member={dn}')
    .replace('refreshInterval: 5m', 'refreshInterval: 1s')
    .replace('  - group: influx-readers\n    token: ${READERS_TOKEN}', '  - group: influx-readers\n  - token: ${READERS_TOKEN}')
    .replace('groups: [influx-writers]', 'groups: [influx-typo]\n    token: ${WRITERS_TOKEN}')
  assert.deepEqual(problems(yaml).sort(), [
    'access.1: a rule names exactly one credential: token, basic, jwt or mint (found none)',
    'access.2: a rule needs exactly one matcher: group',
    'ldap.bindPassword: write secrets as ${ENV_VAR} or { file: PATH }, never inline in the YAML',
    'ldap.groupFilter: not an LDAP filter: Unbalanced parens',
    'ldap.refreshInterval: must be at least 10s',
    'ldap.startTLS: required with ldap:// to a host other than loopback: true (StartTLS), or false to send passwords in clear on purpose',
    'ldap.userFilter: must contain {username}',
    'users.0.groups: no access rule matches any of these groups',
    'users.0: exactly one of token, basic, jwt, mint or groups is required (found token, groups)'
  ])
})

test('TLS settings: ldaps:// with StartTLS, a CA file that cannot be read, both userFilter and userDN', () => {
  const yaml = LDAP.replace('url: ldap://127.0.0.1:389', 'url: ldaps://ldap.example.org\n  startTLS: true\n  caFile: /nowhere/ca.pem\n  userDN: uid={username},ou=people,dc=example,dc=org')
  assert.deepEqual(problems(yaml).sort(), [
    'ldap.startTLS: ldaps:// is TLS already; StartTLS is for ldap://',
    'ldap.userDN: set userFilter or userDN, not both'
  ])
  const readable = LDAP.replace('url: ldap://127.0.0.1:389', 'url: ldaps://ldap.example.org\n  caFile: /nowhere/ca.pem')
  assert.deepEqual(problems(readable), ['ldap.caFile: cannot read /nowhere/ca.pem: ENOENT'])
  assert.equal(parseConfig(LDAP.replace('url: ldap://127.0.0.1:389', 'url: ldap://ldap.example.org\n  startTLS: false'), { env: ENV, readFile: noFiles }).ldap?.startTLS, false, 'plain ldap:// written explicitly')
})

test('ldap without access rules, and jwt rules without the shared secret, are refused', () => {
  assert.deepEqual(problems(LDAP.replace(/access:[\s\S]*users:/, 'users:').replace('groups: [influx-writers]', 'token: ${WRITERS_TOKEN}')), [
    'access: required with ldap: directory users get their upstream credential only from access rules'
  ])
  assert.deepEqual(problems(LDAP.replace('token: ${READERS_TOKEN}', 'jwt: { username: reader }')), [
    'upstream.jwtSharedSecret: required by users with jwt credentials (access rules)'
  ])
})
