/**
 * `session.redis` names one Redis (`url`) or Redis Sentinel (`sentinels` and `name`), never both and never
 * neither; the Sentinel form's two passwords are secrets like any other, from `${VAR}` or a file.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseConfig } from '../../src/config/load.ts'
import { configProblems as problems } from '../helpers/config-problems.ts'

const session = (redis: string): string => `session:\n  store: redis\n  recordKey: \${RECORD_KEY:-${'k'.repeat(32)}}\n  redis: ${redis}\n`

test('Sentinel: the Sentinels, the group name and both passwords from the environment or files', () => {
  const yaml = session('{ sentinels: [s1:26379, "10.0.0.2:26380", "[::1]:26381"], name: mymaster, ' +
    'password: ${REDIS_PASSWORD}, sentinelPassword: { file: /run/secrets/sentinel } }')
  const config = parseConfig(yaml, { env: { REDIS_PASSWORD: 'data-pass' }, readFile: () => 'sentinel-pass\n' })
  const redis = config.session.redis
  assert.deepEqual(redis?.sentinels, ['s1:26379', '10.0.0.2:26380', '[::1]:26381'])
  assert.equal(redis?.name, 'mymaster')
  assert.equal(redis?.password, 'data-pass')
  assert.equal(redis?.sentinelPassword, 'sentinel-pass')
  assert.equal(redis?.url, undefined)
})

test('url and sentinels: both or neither is an error naming the path', () => {
  assert.deepEqual(problems(session('{ url: "redis://r:6379", sentinels: [s1:26379], name: m }')),
    ['session.redis.sentinels: give either session.redis.url (one Redis) or session.redis.sentinels (Redis Sentinel), not both'])
  assert.deepEqual(problems(session('{ keyPrefix: "gw:" }')),
    ['session.redis.url: required: session.redis.url (one Redis) or session.redis.sentinels and name (Redis Sentinel)'])
  assert.deepEqual(problems(session('{ sentinels: [s1:26379] }')),
    ['session.redis.name: required with session.redis.sentinels: the master group name they monitor'])
  assert.deepEqual(problems(session('{ sentinels: [] , name: m }')), ['session.redis.sentinels: Too small: expected array to have >=1 items'])
  assert.deepEqual(problems(session('{ sentinels: [s1, "s2:99999", "a b:1"], name: m }')), [
    'session.redis.sentinels.0: write host:port, e.g. sentinel-1:26379',
    'session.redis.sentinels.1: port above 65535',
    'session.redis.sentinels.2: write host:port, e.g. sentinel-1:26379'
  ])
})

test('the Sentinel keys go only with sentinels; with url the password is in the URL', () => {
  assert.deepEqual(problems(session('{ url: "redis://r:6379", name: m, password: ${P}, sentinelPassword: ${P} }'), { P: 'x' }), [
    'session.redis.name: only with session.redis.sentinels',
    'session.redis.password: only with session.redis.sentinels (with url, the password goes in the URL)',
    'session.redis.sentinelPassword: only with session.redis.sentinels'
  ])
})

test('SECURITY: neither password may be written inline, and neither is echoed in the error', () => {
  const yaml = session('{ sentinels: [s1:26379], name: m, password: hunter2data, sentinelPassword: hunter2sentinel }')
  const found = problems(yaml)
  assert.deepEqual(found, [
    'session.redis.password: write secrets as ${ENV_VAR} or { file: PATH }, never inline in the YAML',
    'session.redis.sentinelPassword: write secrets as ${ENV_VAR} or { file: PATH }, never inline in the YAML'
  ])
  assert.ok(!found.join('\n').includes('hunter2'), 'the passwords are not echoed')
})
