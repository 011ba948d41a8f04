import assert from 'node:assert/strict'
import { request, type IncomingMessage } from 'node:http'
import { writeFileSync } from 'node:fs'
import { test, type TestContext } from 'node:test'
import { hashPassword } from '../src/auth/password.ts'
import { cli, isLog, tempFile, type Cli } from './helpers/cli-process.ts'
import { startFakeInflux, type FakeInflux } from './helpers/fake-influx.ts'
import { basic } from './helpers/gateway.ts'

/** Signals and reloads against the real process, as operators drive it. */

const PASSWORD = 'alice password'

interface Running { run: Cli, url: string, pid: number, influx: FakeInflux, file: string, write: (yaml: string) => void }

/** alice's hash, the same in every version of the file: a new hash would end her sessions. */
const ALICE_HASH = hashPassword(PASSWORD, { ln: 10, r: 8, p: 1 })

async function config (opts: { token: string, extra?: string, users?: string, port?: number }): Promise<string> {
  const hash = await ALICE_HASH
  return [
    `server: { host: 127.0.0.1, port: ${opts.port ?? 0}, shutdownTimeout: \${SHUTDOWN:-5s} }`,
    'upstream: { url: "${INFLUX_URL}" }',
    'metrics: { listener: main }',
    opts.extra ?? '',
    'users:',
    `  - { name: alice, passwordHash: "${hash}", token: "\${${opts.token}}" }`,
    opts.users ?? ''
  ].join('\n')
}

async function start (t: TestContext, args: string[] = [], env: Record<string, string> = {}): Promise<Running> {
  const influx = await startFakeInflux({ tokens: ['token-a', 'token-b'] })
  t.after(() => influx.close())
  const file = tempFile(t, 'gateway.yaml', await config({ token: 'TOKEN_A' }))
  const run = cli(t, ['--config', file, ...args], { env: { ...process.env, INFLUX_URL: influx.url, TOKEN_A: 'token-a', TOKEN_B: 'token-b', ...env } })
  const { url, pid } = JSON.parse(await run.waitForLine(isLog('listening'))) as { url: string, pid: number }
  return { run, url, pid, influx, file, write: (yaml) => writeFileSync(file, yaml) }
}

async function signIn (url: string, name = 'alice', password = PASSWORD): Promise<string> {
  const res = await fetch(`${url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic(name, password) } })
  assert.equal(res.status, 204)
  return (res.headers.get('set-cookie') ?? '').split(';')[0] as string
}

function get (url: string, cookie: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => request(url, { headers: { cookie } }, resolve).on('error', reject).end())
}

test('SIGTERM: readiness goes, new connections are refused, in-flight streams finish (a repeated signal changes nothing), exit 0', async (t) => {
  const gw = await start(t)
  const cookie = await signIn(gw.url)
  const stream = await get(`${gw.url}/test/stall-body`, cookie)
  let body = ''
  stream.on('data', (d) => { body += String(d) })
  // 'close', not 'end': a stream cut short ends without 'end', and the body then says so.
  const ended = new Promise((resolve) => stream.on('close', resolve).on('error', () => {}))
  await gw.influx.waitForRequest((r) => r.path === '/test/stall-body')
  process.kill(gw.run.child.pid as number, 'SIGTERM')
  await gw.run.waitForLine(isLog('shutting down'))
  await assert.rejects(fetch(`${gw.url}/gateway/ready`), 'the listener no longer accepts')
  process.kill(gw.pid, 'SIGHUP') // a reload asked for while stopping: neither applied nor the end of the process
  // Ctrl-C on `npm start` reaches the gateway twice (npm passes its own on): a repeated stop signal is ignored.
  process.kill(gw.pid, 'SIGINT')
  process.kill(gw.pid, 'SIGTERM')
  gw.influx.release()
  await ended
  assert.equal(body, 'partial-done', 'the stream in flight finished')
  assert.equal(await gw.run.exited, 0, gw.run.stderr())
  assert.ok(gw.run.lines.some(isLog('stopped')))
  assert.ok(!gw.run.lines.some(isLog('config reloaded')))
})

test('SIGTERM: a stream still running after server.shutdownTimeout is cut, and the process exits 0', async (t) => {
  const gw = await start(t, [], { SHUTDOWN: '300ms' })
  const cookie = await signIn(gw.url)
  const stream = await get(`${gw.url}/test/stall-body`, cookie)
  const cut = new Promise((resolve) => stream.on('error', resolve).on('aborted', resolve).on('close', resolve))
  stream.resume()
  process.kill(gw.run.child.pid as number, 'SIGTERM')
  await cut
  await gw.influx.waitForAbort((r) => r.path === '/test/stall-body')
  assert.equal(await gw.run.exited, 0, gw.run.stderr())
})

test('SIGHUP: a valid file swaps users and credentials and keeps sessions; an invalid one changes nothing', async (t) => {
  const gw = await start(t)
  assert.equal(gw.pid, gw.run.child.pid, 'the listening line names the process to signal')
  const cookie = await signIn(gw.url)
  const bobHash = await hashPassword('bob password', { ln: 10, r: 8, p: 1 })
  gw.write(await config({ token: 'TOKEN_B', users: `  - { name: bob, passwordHash: "${bobHash}", token: "\${TOKEN_A}" }` }))
  process.kill(gw.pid, 'SIGHUP')
  const reloaded = JSON.parse(await gw.run.waitForLine(isLog('config reloaded'))) as { changed: string[], trigger: string }
  assert.deepEqual(reloaded.changed, ['users'])
  assert.equal(reloaded.trigger, 'SIGHUP')
  assert.equal((await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })).status, 200, 'the session survived')
  assert.equal(gw.influx.last()?.headers.authorization, 'Token token-b', 'with the new credential')
  await signIn(gw.url, 'bob', 'bob password')

  gw.write('users: [ { name: alice } ]\nserver: { bogus: 1 }\n')
  process.kill(gw.run.child.pid as number, 'SIGHUP')
  const failed = JSON.parse(await gw.run.waitForLine(isLog('config reload failed; the running configuration stays'))) as { problems: string[] }
  assert.ok(failed.problems.includes('server.bogus: unknown key'), failed.problems.join('\n'))
  assert.ok(failed.problems.includes('users.0.passwordHash: required'))
  assert.equal((await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })).status, 200, 'still running on the last good config')
  assert.equal(gw.influx.last()?.headers.authorization, 'Token token-b')

  gw.write(await config({ token: 'TOKEN_B', port: 1 }))
  process.kill(gw.run.child.pid as number, 'SIGHUP')
  const warned = JSON.parse(await gw.run.waitForLine(isLog('these settings only take effect after a restart'))) as { settings: string[] }
  assert.deepEqual(warned.settings, ['server.port'])
  const metrics = await (await fetch(`${gw.url}/gateway/metrics`)).text()
  assert.match(metrics, /influx_gateway_config_reloads_total\{outcome="success"\} 2/)
  assert.match(metrics, /influx_gateway_config_reloads_total\{outcome="failure"\} 1/)
  assert.ok(!gw.run.lines.join('\n').includes('token-b'), 'no credential in the logs')
})

test('--watch follows the file: a saved change is applied without a signal', async (t) => {
  const gw = await start(t, ['--watch'])
  const cookie = await signIn(gw.url)
  gw.write(await config({ token: 'TOKEN_B' }))
  const reloaded = JSON.parse(await gw.run.waitForLine(isLog('config reloaded'))) as { trigger: string }
  assert.equal(reloaded.trigger, 'watch')
  await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })
  assert.equal(gw.influx.last()?.headers.authorization, 'Token token-b')
})

test('log.format: pretty writes human lines, only on request', async (t) => {
  const influx = await startFakeInflux()
  t.after(() => influx.close())
  const file = tempFile(t, 'gateway.yaml', 'server: { port: 0 }\nmetrics: { port: 0 }\nlog: { format: pretty }\n')
  const run = cli(t, ['--config', file])
  const line = await run.waitForLine((l) => l.includes('listening'))
  assert.throws(() => JSON.parse(line))
  assert.match(line, /INFO.*listening/)
  process.kill(run.child.pid as number, 'SIGTERM')
  assert.equal(await run.exited, 0)
})
