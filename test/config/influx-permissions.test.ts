/** `mint` credentials in the config (src/config/influx-permissions.ts): permission strings, the operator token, YAML paths. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseConfig } from '../../src/config/load.ts'
import { configProblems, noFiles } from '../helpers/config-problems.ts'
import { INFLUX_RESOURCE_TYPES, parsePermission } from '../../src/config/influx-permissions.ts'
import { spec } from '../helpers/openapi.ts'

const HASH = '$scrypt$ln=10,r=8,p=1$uDyn97wvXrkoAQ4nUKGD+w$/WbpnP3LMQN+keOkp4jNKfy1+E3EP8sw7DDHYmD1JgM'
const ENV = { OPERATOR: 'operator-secret-token' }

function problems (yaml: string, env: Record<string, string> = ENV): string[] {
  return configProblems(yaml, env)
}

test('the resource types held in src are exactly InfluxDB\'s, as its OpenAPI contract lists them', () => {
  const schemas = (spec().doc.components as { schemas: Record<string, { properties: { type: { enum: string[] } } }> }).schemas
  assert.deepEqual([...INFLUX_RESOURCE_TYPES], schemas.Resource?.properties.type.enum)
})

test('permission strings: action:type, a bucket by name, another resource by its ID', () => {
  assert.deepEqual(parsePermission('read:buckets'), { action: 'read', type: 'buckets' })
  assert.deepEqual(parsePermission('write:buckets/telemetry'), { action: 'write', type: 'buckets', bucket: 'telemetry' })
  assert.deepEqual(parsePermission('read:dashboards/0a1b2c3d4e5f6a7b'), { action: 'read', type: 'dashboards', id: '0a1b2c3d4e5f6a7b' })
  assert.deepEqual(parsePermission('write:notificationEndpoints'), { action: 'write', type: 'notificationEndpoints' })
  assert.deepEqual(parsePermission('read:tasks'), { action: 'read', type: 'tasks' })
  for (const bad of ['readbuckets', 'delete:buckets', 'read:bucket', 'read:', 'read:buckets/', ':buckets', 'READ:buckets']) {
    assert.equal(typeof parsePermission(bad), 'string', bad)
  }
  // SECURITY: InfluxDB matches permissions on IDs; a dashboard "by name" would grant every dashboard.
  assert.match(parsePermission('read:dashboards/sales') as string, /only buckets are named/)
})

test('no permission that lets a session act beyond its token: writing tasks, checks, notification rules or authorizations', () => {
  // InfluxDB runs a task with every permission of its owner, the token's user (the operator's when no
  // InfluxDB user has the signed-in name), not with the token's; checks and notification rules are tasks.
  // A token that may create authorizations makes ones that outlive the session.
  for (const type of ['tasks', 'checks', 'notificationRules']) {
    for (const text of [`write:${type}`, `write:${type}/0a1b2c3d4e5f6a7b`]) {
      assert.match(parsePermission(text) as string, /runs .* with every permission of the token's user/, text)
    }
  }
  assert.match(parsePermission('write:authorizations') as string, /outlive the session/)
  const found = problems(`upstream:
  operatorToken: \${OPERATOR}
users:
  - name: alice
    passwordHash: "${HASH}"
    mint: { org: my-org, permissions: [read:buckets, write:tasks] }
`)
  assert.ok(found.some((p) => p.startsWith('users.0.mint.permissions.1:')), found.join('\n'))
})

test('no permission that reads or makes tokens, or takes over users, the org or its secrets', () => {
  // InfluxDB answers GET /api/v2/authorizations with every authorization's token: a session holding
  // read:authorizations reads the other sessions' tokens and the operator's.
  for (const text of ['read:authorizations', 'read:authorizations/0a1b2c3d4e5f6a7b']) {
    assert.match(parsePermission(text) as string, /cannot be minted: InfluxDB answers a list of authorizations with each one's token/, text)
  }
  assert.match(parsePermission('write:authorizations') as string, /tokens of other sessions and the operator's, and .* outlive the session/)
  for (const text of ['read:secrets', 'write:secrets']) assert.match(parsePermission(text) as string, /secrets are credentials/, text)
  assert.match(parsePermission('write:users') as string, /sets any InfluxDB user's password/)
  assert.match(parsePermission('write:users/0a1b2c3d4e5f6a7b') as string, /sets any InfluxDB user's password/)
  assert.match(parsePermission('write:orgs') as string, /adds owners to it/)
  // Reading users and the org stays possible (names, IDs; no credential).
  assert.deepEqual(parsePermission('read:users'), { action: 'read', type: 'users' })
  assert.deepEqual(parsePermission('read:orgs'), { action: 'read', type: 'orgs' })
  const found = problems(`upstream:
  operatorToken: \${OPERATOR}
access:
  - group: analysts
    mint: { org: my-org, permissions: [read:buckets, read:users, read:authorizations] }
users:
  - name: alice
    passwordHash: "${HASH}"
    mint: { org: my-org, permissions: [write:orgs, read:secrets, write:users] }
`)
  const has = (prefix: string, pattern: RegExp): void => {
    assert.ok(found.some((p) => p.startsWith(prefix) && pattern.test(p)), `${prefix} ${String(pattern)} in:\n${found.join('\n')}`)
  }
  has('access.0.mint.permissions.2:', /^\S+ read:authorizations cannot be minted: .*give whoever needs it a token credential of their own InfluxDB user$/)
  has('users.0.mint.permissions.0:', /write:orgs cannot be minted/)
  has('users.0.mint.permissions.1:', /read:secrets cannot be minted/)
  has('users.0.mint.permissions.2:', /write:users cannot be minted/)
  assert.equal(found.length, 4, found.join('\n'))
})

test('a mint credential parses, on a user and in a rule, with the operator token from the environment', () => {
  const config = parseConfig(`upstream:
  operatorToken: \${OPERATOR}
access:
  - group: analysts
    mint: { org: my-org, permissions: [read:buckets, read:dashboards] }
users:
  - name: alice
    passwordHash: "${HASH}"
    mint: { org: my-org, permissions: [read:buckets, write:buckets/telemetry] }
`, { env: ENV, readFile: noFiles })
  assert.equal(config.upstream.operatorToken, 'operator-secret-token')
  assert.equal(config.upstream.mintSweepInterval, 300_000)
  assert.deepEqual(config.users[0]?.mint, { org: 'my-org', permissions: ['read:buckets', 'write:buckets/telemetry'] })
  assert.deepEqual(config.access[0]?.mint?.permissions, ['read:buckets', 'read:dashboards'])
})

test('config errors name the YAML path: bad permissions, a missing operator token, two credentials', () => {
  const found = problems(`access:
  - group: analysts
    mint: { org: my-org, permissions: [read:buckets, delete:everything] }
users:
  - name: alice
    passwordHash: "${HASH}"
    mint: { org: my-org, permissions: [read:gadgets] }
  - name: bob
    passwordHash: "${HASH}"
    mint: { org: "", permissions: [] }
    token: x-inline-is-refused-anyway
`, {})
  const has = (prefix: string, pattern: RegExp): void => {
    assert.ok(found.some((p) => p.startsWith(prefix) && pattern.test(p)), `${prefix} ${String(pattern)} in:\n${found.join('\n')}`)
  }
  has('access.0.mint.permissions.1:', /action:type/)
  has('users.0.mint.permissions.0:', /unknown InfluxDB resource type "gadgets"/)
  has('users.1.mint.org:', /./)
  has('users.1.mint.permissions:', /./)
  has('users.1:', /exactly one of token, basic, jwt, mint or groups/)
  has('upstream.operatorToken:', /required by mint credentials \(alice, bob, access rules\)/)
})

test('the operator token is a secret: never inline in the YAML', () => {
  const found = problems(`upstream:
  operatorToken: an-inline-operator-token
`)
  assert.ok(found.some((p) => p.startsWith('upstream.operatorToken:')), found.join('\n'))
})
