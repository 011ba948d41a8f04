import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { hashPassword } from '../../src/auth/password.ts'
import { requireBinary } from '../helpers/binaries.ts'
import { cli, isLog, tempFile, type Cli } from '../helpers/cli-process.ts'
import { startFakeInflux } from '../helpers/fake-influx.ts'
import { basic } from '../helpers/gateway.ts'
import { startRedis } from '../helpers/redis-server.ts'

const REDIS = requireBinary('redis-server', 'redis-server', 'Redis session store')
const skip = REDIS === undefined ? 'redis-server not installed' : false

test('two gateway processes on one Redis: made on A works on B, signed out on B ends on A, A restarted keeps it', { skip }, async (t: TestContext) => {
  const redis = await startRedis(REDIS as string)
  t.after(() => redis.stop())
  const influx = await startFakeInflux({ tokens: ['replica-token-1'] })
  t.after(() => influx.close())
  const hash = await hashPassword('replica password', { ln: 10, r: 8, p: 1 })
  const file = tempFile(t, 'gateway.yaml', [
    'server: { host: 127.0.0.1, port: 0 }',
    'upstream: { url: "${INFLUX_URL}" }',
    'session: { store: redis, redis: { url: "${REDIS_URL}" } }',
    'users:',
    `  - { name: alice, passwordHash: "${hash}", token: "\${ALICE_TOKEN}" }`
  ].join('\n'))
  const env = { ...process.env, INFLUX_URL: influx.url, REDIS_URL: redis.url, ALICE_TOKEN: 'replica-token-1' }
  const start = async (): Promise<{ run: Cli, url: string }> => {
    const run = cli(t, ['--config', file], { env })
    const { url } = JSON.parse(await run.waitForLine(isLog('listening'))) as { url: string }
    return { run, url }
  }
  const status = async (url: string, cookie: string): Promise<number> => (await fetch(`${url}/api/v2/buckets`, { headers: { cookie } })).status
  const a = await start()
  const b = await start()
  const signIn = async (url: string): Promise<string> => {
    const res = await fetch(`${url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic('alice', 'replica password') } })
    assert.equal(res.status, 204)
    return (res.headers.get('set-cookie') ?? '').split(';')[0] as string
  }
  const kept = await signIn(a.url)
  assert.equal(await status(b.url, kept), 200, 'made on A, works on B')
  const ended = await signIn(a.url)
  assert.equal((await fetch(`${b.url}/api/v2/signout`, { method: 'POST', headers: { cookie: ended } })).status, 204)
  assert.equal(await status(a.url, ended), 401, 'signed out on B, ended on A')

  process.kill(a.run.child.pid as number, 'SIGTERM')
  assert.equal(await a.run.exited, 0)
  const restarted = await start()
  assert.equal(await status(restarted.url, kept), 200, 'A restarted: its sessions still work')
  for (const p of [b, restarted]) process.kill(p.run.child.pid as number, 'SIGTERM')
  assert.equal(await b.run.exited, 0)
  assert.equal(await restarted.run.exited, 0)
})
