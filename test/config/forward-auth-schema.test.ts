/** The `forwardAuth:` section (src/config/forward-auth-schema.ts), through the real loader: every problem with its YAML path. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseConfig } from '../../src/config/load.ts'
import { configProblems, noFiles } from '../helpers/config-problems.ts'

function section (lines: string): string {
  return `forwardAuth:\n${lines.split('\n').map((l) => `  ${l}`).join('\n')}\n`
}

test('a valid section: app prefixes stored canonical, users and groups default to none', () => {
  const config = parseConfig(section('trustedProxies: [10.0.0.6/32]\napps:\n  - { name: grafana, pathPrefix: /Grafana/, groups: [dash] }'),
    { env: {}, readFile: noFiles })
  assert.deepEqual(config.forwardAuth, { trustedProxies: ['10.0.0.6/32'], apps: [{ name: 'grafana', pathPrefix: '/grafana', users: [], groups: ['dash'] }] })
})

test('trusted proxies: at least one, never every address', () => {
  assert.deepEqual(configProblems(section('trustedProxies: []')), ['forwardAuth.trustedProxies: list the ingress\'s address (CIDR)'])
  assert.deepEqual(configProblems(section('trustedProxies: [0.0.0.0/0]')),
    ['forwardAuth.trustedProxies.0: would trust every address: list the proxy\'s own'])
  assert.deepEqual(configProblems('forwardAuth: {}\n'), ['forwardAuth.trustedProxies: required'])
})

test('apps: someone may use each, under a prefix of its own that is neither InfluxDB\'s nor the gateway\'s', () => {
  const app = (yaml: string): string[] => configProblems(section(`trustedProxies: [10.0.0.6/32]\napps:\n${yaml}`))
  assert.deepEqual(app('  - { name: a, pathPrefix: /a }'), ['forwardAuth.apps.0: name at least one of users or groups: nobody could use it'])
  assert.deepEqual(app('  - { name: a, pathPrefix: /api/v2, users: [x] }'),
    ['forwardAuth.apps.0.pathPrefix: an InfluxDB route: an app must live under a path InfluxDB does not serve'])
  assert.deepEqual(app('  - { name: a, pathPrefix: /gateway/a, users: [x] }'), ['forwardAuth.apps.0.pathPrefix: overlaps server.gatewayPrefix /gateway'])
  assert.deepEqual(app('  - { name: a, pathPrefix: /a, users: [x] }\n  - { name: a, pathPrefix: /a/b, users: [x] }'), [
    'forwardAuth.apps.1.name: duplicate app name "a"',
    'forwardAuth.apps.1.pathPrefix: lies within apps[0].pathPrefix'
  ])
  assert.deepEqual(app('  - { name: "a b", pathPrefix: /a, users: [x] }'),
    ['forwardAuth.apps.0.name: write a name of letters, digits, . _ - (at most 64)'])
})
