/** `databases:` and `admin:` (src/config/influx3-schema.ts): InfluxDB 3's, and nothing without them there. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseConfig } from '../../src/config/load.ts'
import { configProblems, noFiles } from '../helpers/config-problems.ts'

const ENV = { T: 'influx3-token-for-tests-0123456789' }

const config = (version: string, rule: string): string => `
upstream: { version: ${version} }
access:
  - group: analysts
    token: \${T}
${rule}
`

test('databases: and admin: are refused, with their YAML path, in front of InfluxDB 1.x or 2.x', () => {
  assert.deepEqual(configProblems(config('2', '    databases: { read: [telemetry] }'), ENV),
    ['access.0.databases: InfluxDB 3 only: upstream.version is 2'])
  assert.deepEqual(configProblems(config('1', '    admin: true'), ENV), ['access.0.admin: InfluxDB 3 only: upstream.version is 1'])
})

test('in front of InfluxDB 3, a rule that names neither databases: nor admin: grants nothing, and the loader says so', () => {
  const problems = configProblems(config('3', ''), ENV)
  assert.equal(problems.length, 1)
  assert.match(problems[0] ?? '', /^access\.0: grants nothing in front of InfluxDB 3/)
})

test('a file user with groups: takes databases from its rule, not its own entry', () => {
  const yaml = `
upstream: { version: 3 }
users:
  - name: alice
    passwordHash: "$scrypt$ln=14,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$3H+1x0w0YHc2rjkQbAxlf2q3u7r9Vj5o2Ql5JkYfQ2s"
    groups: [analysts]
    databases: { read: [x] }
`
  assert.ok(configProblems(yaml, ENV).includes('users.0.databases: with groups:, the access rule decides this'))
})

test('with version auto or 3, rules with databases: load; globs and admin compile', () => {
  const loaded = parseConfig(config('auto', '    databases: { read: [telemetry, "lab_*"], write: [telemetry] }\n    admin: true'),
    { env: ENV, readFile: noFiles })
  assert.deepEqual(loaded.access[0]?.databases, { read: ['telemetry', 'lab_*'], write: ['telemetry'] })
  assert.equal(loaded.access[0]?.admin, true)
})

const minting = (version: string, mint: string, rest = '    databases: { read: [telemetry] }'): string => `
upstream: { version: ${version}, operatorToken: \${T} }
access:
  - group: analysts
    mint: ${mint}
${rest}
`

test('mint: {} is InfluxDB 3\'s: it loads with version 3 or auto, and is refused with its YAML path in front of 1.x or 2.x', () => {
  for (const version of ['3', 'auto']) {
    const loaded = parseConfig(minting(version, '{}'), { env: ENV, readFile: noFiles })
    assert.deepEqual(loaded.access[0]?.mint, {})
  }
  assert.deepEqual(configProblems(minting('2', '{}', ''), ENV),
    ['access.0.mint: mint: {} is InfluxDB 3\'s: upstream.version is 2 (InfluxDB 2: mint: { org, permissions })'])
  assert.ok(configProblems(minting('1', '{}', ''), ENV).includes(
    'access.0.mint: mint: {} is InfluxDB 3\'s: upstream.version is 1 (InfluxDB 2: mint: { org, permissions })'))
})

test('InfluxDB 2\'s mint shape in front of InfluxDB 3 is an error; mint: {} needs databases: to mint from', () => {
  assert.deepEqual(configProblems(minting('3', '{ org: my-org, permissions: [read:buckets] }'), ENV),
    ['access.0.mint: org and permissions are InfluxDB 2\'s: in front of InfluxDB 3 write mint: {} (the token gets the rule\'s databases:)'])
  assert.deepEqual(configProblems(minting('auto', '{}', ''), ENV),
    ['access.0.mint: mint: {} mints from the rule\'s databases: add databases: { read: [...], write: [...] }'])
  assert.deepEqual(configProblems(minting('2', '{ org: my-org }', ''), ENV), ['access.0.mint.permissions: required with org (InfluxDB 2)'])
})
