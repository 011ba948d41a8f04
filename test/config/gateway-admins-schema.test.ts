/** The `gatewayAdmins:` section (src/config/gateway-admins-schema.ts), through the real loader. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseConfig } from '../../src/config/load.ts'
import { configProblems, noFiles } from '../helpers/config-problems.ts'

const TOKEN = 'k'.repeat(44)

test('defaults to nobody; users, groups and tokens from ${ENV} or a file', () => {
  assert.deepEqual(parseConfig('{}\n', { env: {}, readFile: noFiles }).gatewayAdmins, { users: [], groups: [], apiTokens: [] })
  const yaml = 'gatewayAdmins:\n  users: [alice]\n  groups: [ops]\n  apiTokens: [${ADMIN_TOKEN}, { file: /run/secrets/t }]\n'
  const config = parseConfig(yaml, { env: { ADMIN_TOKEN: TOKEN }, readFile: () => `${'f'.repeat(40)}\n` })
  assert.deepEqual(config.gatewayAdmins, { users: ['alice'], groups: ['ops'], apiTokens: [TOKEN, 'f'.repeat(40)] })
})

test('an API token is never inline in the YAML, nor short enough to guess', () => {
  assert.deepEqual(configProblems(`gatewayAdmins:\n  apiTokens: [${TOKEN}]\n`),
    ['gatewayAdmins.apiTokens.0: write secrets as ${ENV_VAR} or { file: PATH }, never inline in the YAML'])
  assert.deepEqual(configProblems('gatewayAdmins:\n  apiTokens: [${T}]\n', { T: 'short' }),
    ['gatewayAdmins.apiTokens.0: too short: at least 32 bytes (e.g. openssl rand -base64 32)'])
  assert.deepEqual(configProblems('gatewayAdmins:\n  admins: [x]\n'), ['gatewayAdmins.admins: unknown key'])
})
