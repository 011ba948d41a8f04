import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { hashPassword } from '../../src/auth/password.ts'

/** The address the golden run's auth proxy sends from; every other request comes from 127.0.0.1. */
export const PROXY_PEER = '127.0.0.2'
/** The address that gets itself banned, so the ban touches nothing else the scenario does. */
export const BANNED_PEER = '127.0.0.3'
/** `signin.maxFailures`: a ban is earned in a few requests, and the scenario's other failures stay under it. */
export const MAX_FAILURES = 5
/** Passwords of the golden run's file users (one each, never in the transcript). */
export const PASSWORDS = {
  alice: 'golden alice password',
  dora: 'golden dora password',
  mia: 'golden mia password',
  bob: 'golden bob password'
} as const
/** The tokens the InfluxDB doubles accept, each passed to the gateway through the environment. */
export const TOKENS = { alice: 'golden-alice-token', readers: 'golden-readers-token', bob: 'golden-bob-token' } as const

/** Where each gateway of a side finds its upstream double. */
export interface GoldenUpstreams { v2: string, v1: string, operatorToken: string }

/** The two gateways' config files (written to `dir`) and the environment carrying their secrets. */
export interface GoldenConfigs { v2: string, v1: string, env: Record<string, string> }

/** `${NAME}`: the config's reference to an environment variable. */
const ref = (name: string): string => '${' + name + '}'
/** The cheap scrypt cost the tests use (the hashes only have to verify, the same way in every tree). */
const hash = (password: string): Promise<string> => hashPassword(password, { ln: 10, r: 8, p: 1 })

/**
 * Writes the configs of the golden run: `v2.yaml`, the gateway in front of an InfluxDB 2 double with file
 * users for each sign-in outcome, access rules (a token, a minting rule), an auth
 * proxy and a tight sign-in throttle; `v1.yaml`, one in front of a double said to be InfluxDB 1.x, for the
 * 1.x error dialect. Secrets come from the environment, as operators are told to write them.
 */
export async function writeGoldenConfigs (dir: string, up: GoldenUpstreams): Promise<GoldenConfigs> {
  const common = [
    'server: { host: 127.0.0.1, port: 0 }',
    'metrics: { listener: separate, host: 127.0.0.1, port: 0 }',
    'log: { level: info }'
  ]
  const v2 = [
    ...common,
    `upstream: { url: "${up.v2}", version: 2, operatorToken: "${ref('GOLDEN_OPERATOR_TOKEN')}" }`,
    `signin: { maxFailures: ${MAX_FAILURES} }`,
    'authProxy: { userHeader: Remote-User, groupsHeader: Remote-Groups, trustedProxies: [127.0.0.2/32] }',
    'access:',
    `  - { group: readers, token: "${ref('GOLDEN_READERS_TOKEN')}" }`,
    '  - { group: minters, mint: { org: my-org, permissions: [read:buckets] } }',
    'users:',
    `  - { name: alice, passwordHash: "${await hash(PASSWORDS.alice)}", token: "${ref('GOLDEN_ALICE_TOKEN')}" }`,
    `  - { name: dora, passwordHash: "${await hash(PASSWORDS.dora)}", disabled: true, token: "${ref('GOLDEN_ALICE_TOKEN')}" }`,
    `  - { name: mia, passwordHash: "${await hash(PASSWORDS.mia)}", groups: [minters] }`
  ]
  const v1 = [
    ...common,
    `upstream: { url: "${up.v1}", version: 1 }`,
    'users:',
    `  - { name: bob, passwordHash: "${await hash(PASSWORDS.bob)}", basic: { username: bob, password: "${ref('GOLDEN_BOB_PASSWORD')}" } }`
  ]
  const files = { v2: join(dir, 'v2.yaml'), v1: join(dir, 'v1.yaml') }
  writeFileSync(files.v2, v2.join('\n') + '\n')
  writeFileSync(files.v1, v1.join('\n') + '\n')
  const env = {
    GOLDEN_OPERATOR_TOKEN: up.operatorToken,
    GOLDEN_READERS_TOKEN: TOKENS.readers,
    GOLDEN_ALICE_TOKEN: TOKENS.alice,
    GOLDEN_BOB_PASSWORD: TOKENS.bob
  }
  return { ...files, env }
}
