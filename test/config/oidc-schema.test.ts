/** The `oidc:` section (src/config/oidc-schema.ts) through the real loader: every problem with its YAML path. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseConfig } from '../../src/config/load.ts'
import { configProblems, noFiles } from '../helpers/config-problems.ts'

const ENV = { OIDC_CLIENT_SECRET: 'client-secret-value', READERS_TOKEN: 'r-token' }
const ACCESS = 'access:\n  - group: influx-readers\n    token: ${READERS_TOKEN}\n'

function oidc (lines: string, access = ACCESS): string {
  return `oidc:\n${lines.trim().split('\n').map((l) => `  ${l.trim()}`).join('\n')}\n${access}`
}

function problems (yaml: string): string[] {
  return configProblems(yaml, ENV)
}

const GOOD = `
issuer: https://idp.example.org/realms/main
clientId: influx-gateway
clientSecret: \${OIDC_CLIENT_SECRET}
redirectUrl: https://influx.example.org/gateway/oidc/callback
scopes: [openid, profile, email, groups]
`

test('a complete section, with its defaults', () => {
  const config = parseConfig(oidc(GOOD), { env: ENV, readFile: noFiles })
  assert.deepEqual(config.oidc, {
    issuer: 'https://idp.example.org/realms/main',
    clientId: 'influx-gateway',
    clientSecret: 'client-secret-value',
    redirectUrl: 'https://influx.example.org/gateway/oidc/callback',
    scopes: ['openid', 'profile', 'email', 'groups'],
    usernameClaim: 'preferred_username',
    groupsClaim: 'groups',
    uiSignin: false,
    allowHttpIssuer: false,
    flowTimeout: 600_000,
    maxPendingFlowsPerClient: 20,
    timeout: 5000,
    logoutTokenMaxAge: 120_000
  })
})

test('logoutTokenMaxAge is bounded: at least 10s, at most 1h', () => {
  assert.deepEqual(problems(oidc(`${GOOD}\nlogoutTokenMaxAge: 5s`)), ['oidc.logoutTokenMaxAge: must be at least 10s'])
  assert.deepEqual(problems(oidc(`${GOOD}\nlogoutTokenMaxAge: 2h`)),
    ['oidc.logoutTokenMaxAge: must be at most 1h (a logout token is meant to be used at once)'])
  assert.equal(parseConfig(oidc(`${GOOD}\nlogoutTokenMaxAge: 1h`), { env: ENV, readFile: noFiles }).oidc?.logoutTokenMaxAge, 3_600_000)
})

test('an http:// issuer is refused unless allowHttpIssuer: true', () => {
  const http = GOOD.replace('https://idp.example.org', 'http://idp.internal')
  const found = problems(oidc(http))
  assert.equal(found.length, 1)
  assert.match(found[0] ?? '', /^oidc\.issuer: an http:\/\/ issuer sends tokens and the client secret in clear/)
  assert.equal(parseConfig(oidc(`${http}\nallowHttpIssuer: true`), { env: ENV, readFile: noFiles }).oidc?.issuer, 'http://idp.internal/realms/main')
})

test('each problem is named by its path', () => {
  const bad = `${GOOD.replace('openid, ', '').replace('/gateway/oidc/callback', '/callback')}\nflowTimeout: 5s\nmaxPendingFlowsPerClient: 0`
  assert.deepEqual(problems(oidc(bad)).sort(), [
    'oidc.flowTimeout: must be at least 30s',
    'oidc.maxPendingFlowsPerClient: Too small: expected number to be >=1',
    "oidc.redirectUrl: must end in the gateway's callback path /gateway/oidc/callback",
    'oidc.scopes: must include openid'
  ])
  assert.ok(problems(oidc(GOOD, '')).includes('access: required with oidc: single sign-on users get their upstream credential only from access rules'))
  assert.ok(problems(oidc(GOOD.replace('clientSecret: ${OIDC_CLIENT_SECRET}', 'clientSecret: inline-secret'))).some((p) => p.startsWith('oidc.clientSecret')))
  assert.ok(problems(oidc(GOOD.replace('https://idp.example.org/realms/main', 'idp.example.org'))).some((p) => p.startsWith('oidc.issuer: not a URL')))
})

test('the redirect URL follows server.gatewayPrefix', () => {
  const yaml = `server:\n  gatewayPrefix: /gw\n${oidc(GOOD.replace('/gateway/oidc/callback', '/gw/oidc/callback'))}`
  assert.equal(parseConfig(yaml, { env: ENV, readFile: noFiles }).oidc?.redirectUrl, 'https://influx.example.org/gw/oidc/callback')
})
