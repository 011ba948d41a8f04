import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { hashPassword } from '../../src/auth/password.ts'
import { cli, isLog, REPO, tempFile } from '../helpers/cli-process.ts'
import { startFakeInflux } from '../helpers/fake-influx.ts'
import { basic } from '../helpers/gateway.ts'

/**
 * The compiled release as `npm start` runs it: `npm run build` (tsc, incremental: when dist/ is current
 * this costs a check, not a compile), then node on dist/cli.js, which must sign a user in and forward.
 * Every other test runs the TypeScript sources through tsx; this one proves the build runs the same way.
 */

const BUILD_TIMEOUT_MS = 90_000

test('the compiled CLI starts from dist/, names its pid, signs in, forwards, reloads on SIGHUP and stops', { timeout: 120_000 }, async (t) => {
  const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc')
  await promisify(execFile)(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { cwd: REPO, timeout: BUILD_TIMEOUT_MS })
  assert.ok(existsSync(join(REPO, 'dist', 'cli.js.map')), 'with source maps')
  const influx = await startFakeInflux({ tokens: ['token-a'] })
  t.after(() => influx.close())
  const hash = await hashPassword('alice password', { ln: 10, r: 8, p: 1 })
  const file = tempFile(t, 'gateway.yaml', [
    'server: { host: 127.0.0.1, port: 0 }',
    `upstream: { url: "${influx.url}" }`,
    'metrics: { listener: main }',
    `users: [ { name: alice, passwordHash: "${hash}", token: "\${TOKEN_A}" } ]`
  ].join('\n'))
  const run = cli(t, ['--config', file], { entry: ['--enable-source-maps', 'dist/cli.js'], env: { ...process.env, TOKEN_A: 'token-a' } })
  const { url, pid } = JSON.parse(await run.waitForLine(isLog('listening'))) as { url: string, pid: number }
  assert.equal(pid, run.child.pid, 'the pid to signal is the process itself')

  const signin = await fetch(`${url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic('alice', 'alice password') } })
  assert.equal(signin.status, 204)
  const cookie = (signin.headers.get('set-cookie') ?? '').split(';')[0] as string
  assert.equal((await fetch(`${url}/api/v2/buckets`, { headers: { cookie } })).status, 200)
  assert.equal(influx.last()?.headers.authorization, 'Token token-a', 'forwarded with the user\'s credential')

  process.kill(pid, 'SIGHUP')
  await run.waitForLine(isLog('config reloaded'))
  process.kill(pid, 'SIGTERM')
  assert.equal(await run.exited, 0, run.stderr())
  assert.ok(run.lines.some(isLog('stopped')))
})
