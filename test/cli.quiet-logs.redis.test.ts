import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { requireBinary } from './helpers/binaries.ts'
import { cli, isLog, jsonLines, tempFile, type Cli } from './helpers/cli-process.ts'
import { startFakeInflux } from './helpers/fake-influx.ts'
import { startRedis, type RedisServer } from './helpers/redis-server.ts'

/**
 * What a Redis-backed gateway's log says at a clean stop and while its readiness probe fails, as
 * operators' log-based alerts read it: the real process against a real redis-server.
 */

const REDIS = requireBinary('redis-server', 'redis-server', 'the CLI on a real Redis')
const skip = REDIS === undefined ? 'redis-server not installed' : false
const RECORD_KEY = 'cli-quiet-logs-record-key-0123456789abcdef'

async function start (t: TestContext): Promise<{ run: Cli, url: string, redis: RedisServer }> {
  const influx = await startFakeInflux()
  t.after(() => influx.close())
  const redis = await startRedis(REDIS as string)
  t.after(() => redis.stop())
  const file = tempFile(t, 'gateway.yaml', [
    'server: { host: 127.0.0.1, port: 0 }',
    `upstream: { url: "${influx.url}" }`,
    'metrics: { listener: main }',
    `session: { store: redis, recordKey: "\${RECORD_KEY}", redis: { url: "${redis.url}", commandTimeout: 300ms } }`
  ].join('\n'))
  const run = cli(t, ['--config', file], { env: { ...process.env, RECORD_KEY } })
  const { url } = JSON.parse(await run.waitForLine(isLog('listening'))) as { url: string }
  await run.waitForLine(isLog('session store connected (redis)'))
  return { run, url, redis }
}

test('a clean stop on Redis is quiet: nothing after "stopped", nothing above info', { skip }, async (t) => {
  const gw = await start(t)
  assert.equal((await fetch(`${gw.url}/gateway/ready`)).status, 200)
  process.kill(gw.run.child.pid as number, 'SIGTERM')
  assert.equal(await gw.run.exited, 0, gw.run.stderr())
  const logs = jsonLines(gw.run.lines)
  assert.equal(logs.at(-1)?.msg, 'stopped', logs.map((l) => l.msg).join('\n'))
  assert.deepEqual(logs.filter((l) => (l.level as number) > 30), [], 'no warning or error')
})

test('a failing readiness probe is one line each, without a stack', { skip }, async (t) => {
  const gw = await start(t)
  await gw.redis.stop()
  await gw.run.waitForLine(isLog('session store unavailable (redis); retrying, requests needing it get 503'))
  const from = gw.run.lines.length
  for (let i = 0; i < 3; i++) assert.equal((await fetch(`${gw.url}/gateway/ready`)).status, 503)
  // The health check's access line comes after the probes' (lines are written in order): all are in.
  assert.equal((await fetch(`${gw.url}/gateway/health`)).status, 200)
  await gw.run.waitForLine((l) => l.includes('"path":"/gateway/health"'))
  const probes = jsonLines(gw.run.lines.slice(from)).filter((l) => l.path !== '/gateway/health')
  assert.deepEqual(probes.map((l) => ({ msg: l.msg, path: l.path, status: l.status })),
    Array.from({ length: 3 }, () => ({ msg: 'request', path: '/gateway/ready', status: 503 })), 'the access line, and nothing else')
  assert.ok(!gw.run.lines.slice(from).some((l) => l.includes('"stack"')))
})
