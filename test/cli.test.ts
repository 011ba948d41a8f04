import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { hashPassword, verifyPassword } from '../src/auth/password.ts'
import { cli, isLog, jsonLines, REPO, tempFile } from './helpers/cli-process.ts'

/** A usable config for a gateway on a free port; the token comes from `$ALICE_TOKEN`. */
async function validConfig (): Promise<string> {
  const hash = await hashPassword('alice password', { ln: 10, r: 8, p: 1 })
  return [
    'server: { host: 127.0.0.1, port: 0 }',
    'metrics: { port: 0 }',
    'upstream: { url: "http://127.0.0.1:9" }',
    'log: { level: info }',
    'users:',
    '  - name: alice',
    `    passwordHash: "${hash}"`,
    '    token: ${ALICE_TOKEN}',
    ''
  ].join('\n')
}

const SECRET = 'sup3r-s3cret-token-value'

/** A config with several problems at once; the one secret that is set must never be printed. */
async function invalidConfig (): Promise<{ yaml: string, problems: string[] }> {
  const hash = await hashPassword('x', { ln: 10, r: 8, p: 1 })

  const yaml = [
    'server: { host: 127.0.0.1, port: 0, bogus: 1 }',
    'upstream: { url: "${UNSET_INFLUX_URL_FOR_TEST}" }',
    'session: { idleTimeout: 10 minutes }',
    'users:',
    '  - name: alice',
    `    passwordHash: "${hash}"`,
    '    token: ${ALICE_TOKEN}',
    '  - name: bob',
    '    token: ${ALICE_TOKEN}',
    ''
  ].join('\n')
  return {
    yaml,
    problems: [
      'server.bogus: unknown key',
      'upstream.url: environment variable UNSET_INFLUX_URL_FOR_TEST is not set',
      'session.idleTimeout: invalid duration',
      'users.1.passwordHash: required'
    ]
  }
}

test('hash-password prints one scrypt hash of the password on stdin', async (t) => {
  const run = cli(t, ['hash-password'], { stdin: 'correct horse battery staple\n' })
  assert.equal(await run.exited, 0, run.stderr())
  assert.equal(run.lines.length, 1, run.lines.join('\n'))
  const hash = run.lines[0] as string
  assert.match(hash, /^\$scrypt\$ln=\d+,r=\d+,p=\d+\$\S+\$\S+$/)
  assert.equal(await verifyPassword('correct horse battery staple', hash), true)
  assert.equal(await verifyPassword('correct horse battery stapler', hash), false)
})

test('hash-password refuses an empty stdin', async (t) => {
  const run = cli(t, ['hash-password'], { stdin: '' })
  assert.notEqual(await run.exited, 0)
  assert.deepEqual(run.lines, [])
  assert.match(run.stderr(), /empty password/)
})

test('hash-password refuses a password under 8 characters, saying why, and hashes it with --force', async (t) => {
  const refused = cli(t, ['hash-password'], { stdin: 'xy\n' })
  assert.equal(await refused.exited, 1)
  assert.deepEqual(refused.lines, [], 'no hash printed')
  assert.match(refused.stderr(), /password too short \(2 characters\): use at least 8 \(NIST SP 800-63B\).*--force/)
  const forced = cli(t, ['hash-password', '--force'], { stdin: 'xy\n' })
  assert.equal(await forced.exited, 0, forced.stderr())
  assert.equal(await verifyPassword('xy', forced.lines[0] as string), true)
})

test('check-config prints ok for a valid file', async (t) => {
  const file = tempFile(t, 'gateway.yaml', await validConfig())
  const run = cli(t, ['check-config', '--config', file], { env: { ...process.env, ALICE_TOKEN: SECRET } })
  assert.equal(await run.exited, 0, run.stderr())
  assert.deepEqual(run.lines, ['ok'])
})

test('check-config reports every problem with its YAML path, and no secret', async (t) => {
  const { yaml, problems } = await invalidConfig()
  const file = tempFile(t, 'gateway.yaml', yaml)
  const env: NodeJS.ProcessEnv = { ...process.env, ALICE_TOKEN: SECRET }
  delete env.UNSET_INFLUX_URL_FOR_TEST
  const run = cli(t, ['check-config', '--config', file], { env })
  assert.equal(await run.exited, 1)
  const stderr = run.stderr()
  for (const problem of problems) assert.ok(stderr.includes(problem), `missing "${problem}" in:\n${stderr}`)
  assert.ok(!run.lines.includes('ok'))
  assert.ok(!stderr.includes(SECRET) && !run.lines.join('\n').includes(SECRET), 'a secret was printed')
})

test('the gateway serves, then stops cleanly on SIGTERM', async (t) => {
  const file = tempFile(t, 'gateway.yaml', await validConfig())
  const run = cli(t, ['--config', file], { env: { ...process.env, ALICE_TOKEN: SECRET } })
  const listening = JSON.parse(await run.waitForLine(isLog('listening'))) as { url?: unknown }
  assert.equal(typeof listening.url, 'string')
  const res = await fetch(`${listening.url as string}/api/v2/signin`, { method: 'POST' })
  assert.equal(res.status, 401)
  assert.deepEqual(await res.json(), { code: 'unauthorized', message: 'unauthorized access' })
  process.kill(run.child.pid as number, 'SIGTERM')
  assert.equal(await run.exited, 0, run.stderr())
  assert.ok(run.lines.some(isLog('stopped')), run.lines.join('\n'))
  assert.ok(!run.lines.join('\n').includes(SECRET), 'a secret was logged')
})

test('the committed default config starts with no environment but PATH, HOME, GATEWAY_PORT and GATEWAY_METRICS_PORT', async (t) => {
  const env: NodeJS.ProcessEnv = { GATEWAY_PORT: '0', GATEWAY_METRICS_PORT: '0' }
  if (process.env.PATH !== undefined) env.PATH = process.env.PATH
  if (process.env.HOME !== undefined) env.HOME = process.env.HOME
  const run = cli(t, [], { env })
  const listening = JSON.parse(await run.waitForLine(isLog('listening'))) as { url?: unknown }
  assert.match(String(listening.url), /^http:\/\/127\.0\.0\.1:\d+$/)
  assert.doesNotMatch(String(listening.url), /:8080$/)
  const { metrics } = listening as { metrics?: unknown }
  assert.match(String(metrics), /^http:\/\/127\.0\.0\.1:\d+$/, 'metrics on their own loopback listener')
  assert.equal((await fetch(`${String(listening.url)}/gateway/metrics`)).status, 404, 'never on the public one')
  await run.waitForLine((line) => line.includes('hash-password'))
  process.kill(run.child.pid as number, 'SIGTERM')
  assert.equal(await run.exited, 0, run.stderr())
  assert.ok(jsonLines(run.lines).some((l) => l.msg === 'stopped'))
})

test('an invalid config stops the gateway before it listens, errors on stderr', async (t) => {
  const { yaml, problems } = await invalidConfig()
  const file = tempFile(t, 'gateway.yaml', yaml)
  const env: NodeJS.ProcessEnv = { ...process.env, ALICE_TOKEN: SECRET }
  delete env.UNSET_INFLUX_URL_FOR_TEST
  const run = cli(t, ['--config', file], { env })
  const code = await run.exited
  assert.notEqual(code, 0)
  assert.ok(!run.lines.some(isLog('listening')), run.lines.join('\n'))
  for (const problem of problems) assert.ok(run.stderr().includes(problem), `missing "${problem}" in:\n${run.stderr()}`)
  assert.ok(!run.stderr().includes(SECRET), 'a secret was printed')
})

test('--version prints the package version', async (t) => {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }
  const run = cli(t, ['--version'])
  assert.equal(await run.exited, 0, run.stderr())
  assert.deepEqual(run.lines, [pkg.version])
})
