import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseConfig } from '../../src/config/load.ts'
import { configProblems, noFiles } from '../helpers/config-problems.ts'

const HASH = '$scrypt$ln=10,r=8,p=1$uDyn97wvXrkoAQ4nUKGD+w$/WbpnP3LMQN+keOkp4jNKfy1+E3EP8sw7DDHYmD1JgM'

const problems = configProblems

test('an empty file gives the documented defaults', () => {
  const config = parseConfig('', { env: {}, readFile: noFiles })
  assert.equal(config.server.host, '127.0.0.1')
  assert.equal(config.server.port, 8080)
  assert.equal(config.upstream.url, 'http://127.0.0.1:8086')
  assert.equal(config.upstream.timeout, 30_000)
  assert.equal(config.session.idleTimeout, 600_000)
  assert.equal(config.session.absoluteTimeout, 28_800_000)
  assert.deepEqual(config.users, [])
})

test('${VAR} and ${VAR:-default} are replaced from the environment, after YAML parsing', () => {
  const yaml = `server: { port: \${PORT:-9000} }
upstream: { url: "\${URL}" }
users:
  - { name: alice, passwordHash: "${HASH}", token: "\${ALICE_TOKEN}" }
`
  const config = parseConfig(yaml, { env: { URL: 'http://influx:8086', ALICE_TOKEN: 'tok: {evil}\nx' }, readFile: noFiles })
  assert.equal(config.server.port, 9000)
  assert.equal(config.upstream.url, 'http://influx:8086')
  // A value with YAML syntax in it stays a value: substitution cannot change the document.
  assert.equal(config.users[0]?.token, 'tok: {evil}\nx')
})

test('secrets can come from files', () => {
  const yaml = `users:\n  - { name: bob, passwordHash: "${HASH}", basic: { username: bob, password: { file: /run/secrets/bob } } }\n`
  const config = parseConfig(yaml, { env: {}, readFile: (p) => p === '/run/secrets/bob' ? 's3cret\n' : noFiles(p) })
  assert.deepEqual(config.users[0]?.basic, { username: 'bob', password: 's3cret' })
})

test('every problem is reported at once, each with its YAML path', () => {
  const yaml = `server:
  hots: x
  port: 99999
upstream:
  url: ftp://x
  timeout: soon
session:
  idleTimeout: 1h
  absoluteTimeout: 30m
users:
  - name: alice
    passwordHash: "${HASH}"
    token: inline-token
  - name: bob
    token: \${BOB_TOKEN}
  - name: carol
    passwordHash: "plain"
    jwt: { username: carol }
  - name: alice
    passwordHash: "${HASH}"
    token: \${T}
    basic: { username: a, password: \${T} }
`
  assert.deepEqual(problems(yaml, { T: 'x' }).sort(), [
    'server.hots: unknown key',
    'server.port: Too big: expected number to be <=65535',
    'session.absoluteTimeout: must not be shorter than session.idleTimeout',
    'upstream.jwtSharedSecret: required by users with jwt credentials (carol)',
    'upstream.timeout: invalid duration (write e.g. 500ms, 90s, 10m, 8h)',
    'upstream.url: must be an http:// or https:// URL',
    'users.0.token: write secrets as ${ENV_VAR} or { file: PATH }, never inline in the YAML',
    'users.1.passwordHash: required',
    'users.1.token: environment variable BOB_TOKEN is not set',
    'users.2.passwordHash: not a supported hash; generate one with `npm run --silent hash-password`',
    'users.3: exactly one of token, basic, jwt, mint or groups is required (found token, basic)',
    'users.3.name: duplicate user name "alice"'
  ].sort())
})

test('broken YAML and unreadable secret files are reported, never their content', () => {
  assert.match(problems('server: [unclosed\n')[0] ?? '', /^yaml: /)
  assert.match(problems('a: 1\na: 2\n')[0] ?? '', /^yaml: .*[Dd]uplicate|^yaml: .*unique/)
  const yaml = `users:\n  - { name: bob, passwordHash: "${HASH}", token: { file: /nope } }\n`
  assert.deepEqual(problems(yaml), ['users.0.token.file: cannot read secret file /nope: ENOENT'])
})

test('error messages never contain secret values', () => {
  const yaml = 'upstream: { timeout: ${SECRET_TOKEN} }\nusers:\n  - { name: a, passwordHash: x, token: ${SECRET_TOKEN} }\n'
  const text = problems(yaml, { SECRET_TOKEN: 'hunter2-token' }).join('\n')
  assert.doesNotMatch(text, /hunter2-token/)
})

test('the documented configuration contract parses as written', () => {
  const yaml = `server:
  host: 127.0.0.1
  port: 8080
upstream:
  url: http://127.0.0.1:8086
  timeout: 30s
  jwtSharedSecret: \${INFLUX_SHARED_SECRET}
session:
  idleTimeout: 10m
  absoluteTimeout: 8h
users:
  - name: alice
    passwordHash: "${HASH}"
    token: \${ALICE_INFLUX_TOKEN}
  - name: bob
    passwordHash: "${HASH}"
    disabled: true
    basic: { username: bob, password: \${BOB_INFLUX_PASSWORD} }
  - name: carol
    passwordHash: "${HASH}"
    jwt: { username: carol }
`
  const env = { INFLUX_SHARED_SECRET: 'shh', ALICE_INFLUX_TOKEN: 'a-token', BOB_INFLUX_PASSWORD: 'b-pass' }
  const config = parseConfig(yaml, { env, readFile: noFiles })
  assert.equal(config.upstream.jwtSharedSecret, 'shh')
  assert.deepEqual(config.users.map((u) => [u.name, u.disabled]), [['alice', false], ['bob', true], ['carol', false]])
  assert.deepEqual(config.users[1]?.basic, { username: 'bob', password: 'b-pass' })
  assert.deepEqual(problems(yaml, {}).sort(), [
    'upstream.jwtSharedSecret: environment variable INFLUX_SHARED_SECRET is not set',
    'users.0.token: environment variable ALICE_INFLUX_TOKEN is not set',
    'users.1.basic.password: environment variable BOB_INFLUX_PASSWORD is not set'
  ])
})

test('browser-app settings are validated with their paths', () => {
  const yaml = `server:
  trustProxy: [10.0.0.0/8, "::1", 10.0.0.0/33, example.com]
  tls: { cert: /nope/cert.pem, key: /nope/key.pem }
  gatewayPrefix: gateway
session:
  passiveRoutes: [GET /api/v2/me, /api/v2/me]
  cookie: { name: "bad name", sameSite: none, secure: sometimes }
cors:
  origins: [http://127.0.0.1:3000, http://app.example/, "*", ftp://x]
`
  assert.deepEqual(problems(yaml).sort(), [
    'cors.origins.1: not an origin: write scheme://host[:port] with no path or trailing slash',
    'cors.origins.2: not an origin: write scheme://host[:port] with no path or trailing slash',
    'cors.origins.3: not an origin: write scheme://host[:port] with no path or trailing slash',
    'server.gatewayPrefix: write a path such as /gateway',
    'server.trustProxy.2: not an IP address or CIDR block',
    'server.trustProxy.3: not an IP address or CIDR block',
    'session.cookie.name: not a cookie name',
    'session.cookie.sameSite: Invalid option: expected one of "strict"|"lax"',
    'session.cookie.secure: Invalid option: expected one of "auto"|"always"|"never"',
    'session.passiveRoutes.1: write METHOD /path, e.g. GET /api/v2/me'
  ].sort())
  const tls = 'server:\n  tls: { cert: /nope/cert.pem, key: /nope/key.pem }\n'
  assert.deepEqual(problems(tls), ['server.tls.cert: cannot read /nope/cert.pem: ENOENT', 'server.tls.key: cannot read /nope/key.pem: ENOENT'])
})

test('passive routes are stored canonical; cookie prefixes and durations are checked', () => {
  const config = parseConfig('session:\n  passiveRoutes: [GET /API/v2/me/, GET /api/v2//query]\n', { env: {}, readFile: noFiles })
  assert.deepEqual(config.session.passiveRoutes, ['GET /api/v2/me', 'GET /api/v2/query'])
  assert.deepEqual(problems('session:\n  cookie: { name: __Host-gw, secure: auto }\n'), ['session.cookie.name: __Host- cookies need secure: always and path: /'])
  assert.deepEqual(problems('session:\n  cookie: { name: __Secure-gw }\n'), ['session.cookie.name: __Secure- cookies need secure: always'])
  assert.equal(parseConfig('session:\n  cookie: { name: __Host-gw, secure: always }\n', { env: {}, readFile: noFiles }).session.cookie.name, '__Host-gw')
  assert.deepEqual(problems('session:\n  absoluteTimeout: 400d\n'), ['session.absoluteTimeout: longer than a year'])
})

test('a Redis URL without a password may be inline; one carrying a password must come from ${VAR} or a file', () => {
  const redis = (url: string): string => `session:\n  store: redis\n  recordKey: \${RECORD_KEY:-${'k'.repeat(32)}}\n  redis: { url: "${url}" }\n`
  for (const url of ['redis://redis:6379', 'rediss://cache.internal:6380/2', 'redis://default@redis:6379', 'redis://127.0.0.1:6379?db=1']) {
    assert.equal(parseConfig(redis(url), { env: {}, readFile: noFiles }).session.redis?.url, url, url)
  }
  const refused = 'session.redis.url: this Redis URL carries a password: pass it as ${REDIS_URL} or { file: PATH }, never inline in the YAML'
  for (const url of ['redis://:hunter2@redis:6379', 'redis://app:hunter2@redis:6379/0', 'rediss://redis:6379?password=hunter2']) {
    assert.deepEqual(problems(redis(url)), [refused], url)
    assert.ok(!problems(redis(url)).join('\n').includes('hunter2'), 'the password is not echoed')
  }
  assert.deepEqual(problems('session:\n  store: redis\n'), [
    'session.redis: required when session.store is redis',
    'session.recordKey: required when session.store is redis: the key every replica signs session records with, from ${ENV_VAR} or { file: PATH }'
  ])
  const config = parseConfig(redis('${REDIS_URL:-redis://redis:6379}'), { env: {}, readFile: noFiles })
  assert.equal(config.session.redis?.url, 'redis://redis:6379')
  const fromEnv = parseConfig(redis('${REDIS_URL}'), { env: { REDIS_URL: 'redis://:hunter2@redis:6379' }, readFile: noFiles })
  assert.equal(fromEnv.session.redis?.url, 'redis://:hunter2@redis:6379')
  const fromFile = parseConfig(`session:\n  store: redis\n  recordKey: \${RECORD_KEY:-${'k'.repeat(32)}}\n  redis: { url: { file: /run/secrets/redis } }\n`, { env: {}, readFile: () => 'redis://:hunter2@redis:6379\n' })
  assert.equal(fromFile.session.redis?.url, 'redis://:hunter2@redis:6379')
})

test('session.recordKey: required with the Redis store, at least 32 bytes, never inline; previousRecordKey only beside it', () => {
  const key = 'k'.repeat(32)
  const redis = 'session:\n  store: redis\n  redis: { url: "redis://redis:6379" }\n'
  assert.deepEqual(problems(redis), [
    'session.recordKey: required when session.store is redis: the key every replica signs session records with, from ${ENV_VAR} or { file: PATH }'
  ])
  assert.deepEqual(problems(`${redis}  recordKey: \${RECORD_KEY}\n`, { RECORD_KEY: 'k'.repeat(31) }),
    ['session.recordKey: too short: at least 32 bytes (e.g. openssl rand -base64 32)'])
  assert.deepEqual(problems(`${redis}  recordKey: ${key}\n`), ['session.recordKey: write secrets as ${ENV_VAR} or { file: PATH }, never inline in the YAML'])
  const fromFile = parseConfig(`${redis}  recordKey: { file: /run/secrets/record-key }\n`, { env: {}, readFile: () => `${key}\n` })
  assert.equal(fromFile.session.recordKey, key)
  assert.deepEqual(problems('session:\n  previousRecordKey: ${OLD_KEY}\n', { OLD_KEY: key }),
    ['session.previousRecordKey: needs session.recordKey (the key it is rotated to)'])
  const memory = parseConfig('session:\n  recordKey: ${KEY}\n  previousRecordKey: ${OLD_KEY}\n', { env: { KEY: key, OLD_KEY: `${key}-old` }, readFile: noFiles })
  assert.deepEqual([memory.session.recordKey, memory.session.previousRecordKey], [key, `${key}-old`])
})
