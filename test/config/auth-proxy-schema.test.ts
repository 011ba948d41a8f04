/** The `authProxy:` section (src/config/auth-proxy-schema.ts), through the real loader: every problem with its YAML path. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseConfig } from '../../src/config/load.ts'
import { configProblems, noFiles } from '../helpers/config-problems.ts'

const ENV = { WRITERS_TOKEN: 'w-token' }
const ACCESS = 'access:\n  - group: influx-writers\n    token: ${WRITERS_TOKEN}\n'

function section (lines: string): string {
  return `authProxy:\n${lines.split('\n').map((l) => `  ${l}`).join('\n')}\n${ACCESS}`
}

function problems (yaml: string): string[] {
  return configProblems(yaml, ENV)
}

test('a valid section: header names stored lowercase, trusted proxies as written', () => {
  const config = parseConfig(section('userHeader: Remote-User\ngroupsHeader: Remote-Groups\ntrustedProxies: [10.0.0.0/8, "::1"]'),
    { env: ENV, readFile: noFiles })
  assert.deepEqual(config.authProxy, { userHeader: 'remote-user', groupsHeader: 'remote-groups', trustedProxies: ['10.0.0.0/8', '::1'] })
})

test('header names: a plain token, never one HTTP or the gateway gives a meaning to, user and groups apart', () => {
  const cases: Array<[string, string]> = [
    ['Remote User', 'authProxy.userHeader: write a header name of letters, digits, - and _ (at most 64), e.g. Remote-User'],
    ['Authorization', 'authProxy.userHeader: a header HTTP or the gateway already gives a meaning to'],
    ['Cookie', 'authProxy.userHeader: a header HTTP or the gateway already gives a meaning to'],
    ['X-Forwarded-For', 'authProxy.userHeader: a header HTTP or the gateway already gives a meaning to'],
    ['From', 'authProxy.userHeader: a header HTTP or the gateway already gives a meaning to'], // Node keeps only the first line
    ['Sec-Fetch-User', 'authProxy.userHeader: a header HTTP or the gateway already gives a meaning to'],
    ['Constructor', 'authProxy.userHeader: not a usable header name'],
    ['x'.repeat(65), 'authProxy.userHeader: write a header name of letters, digits, - and _ (at most 64), e.g. Remote-User']
  ]
  for (const [name, problem] of cases) assert.deepEqual(problems(section(`userHeader: "${name}"\ntrustedProxies: [10.0.0.0/8]`)), [problem], name)
  assert.deepEqual(problems(section('userHeader: Remote-User\ngroupsHeader: remote_user\ntrustedProxies: [10.0.0.0/8]')),
    ['authProxy.groupsHeader: must differ from userHeader'])
  assert.deepEqual(problems(section('trustedProxies: [10.0.0.0/8]')), ['authProxy.userHeader: required'])
})

test('trusted proxies: at least one, each an address or block, never one holding every address', () => {
  assert.deepEqual(problems(section('userHeader: Remote-User\ntrustedProxies: []')), ['authProxy.trustedProxies: list the auth proxy\'s address (CIDR)'])
  assert.deepEqual(problems(section('userHeader: Remote-User\ntrustedProxies: [0.0.0.0/0, "::/0", proxy.local]')), [
    'authProxy.trustedProxies.0: would trust every address: list the proxy\'s own',
    'authProxy.trustedProxies.1: would trust every address: list the proxy\'s own',
    'authProxy.trustedProxies.2: not an IP address or CIDR block'
  ])
})

test('an auth proxy without access rules is refused: its users get credentials only from them', () => {
  assert.deepEqual(problems('authProxy:\n  userHeader: Remote-User\n  trustedProxies: [10.0.0.0/8]\n'), [
    'access: required with authProxy: auth-proxy users get their upstream credential only from access rules'
  ])
})
