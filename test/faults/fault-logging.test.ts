import assert from 'node:assert/strict'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { test, type TestContext } from 'node:test'
import { FAULT_LOG_INTERVAL_MS } from '../../src/deps/store-client.ts'
import { requireBinary } from '../helpers/binaries.ts'
import { signIn, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { freePort, startRedis } from '../helpers/redis-server.ts'

/**
 * A dead InfluxDB or a paused, restarted or emptied Redis fails every request: each keeps its access line,
 * but the failure is logged once per episode (the first failure, a summary per interval, the recovery),
 * and the store's changes (lost, back, emptied) once each. Not a line with a stack per request.
 */

const REDIS = requireBinary('redis-server', 'redis-server', 'fault logging with a real Redis')
const skipRedis = REDIS === undefined ? 'redis-server not installed' : false

/** A clock the test moves: the fault log's interval passes without waiting for it. */
function testClock (): { now: () => number, tick: (ms: number) => void } {
  let t = Date.now()
  return { now: () => t, tick: (ms) => { t += ms } }
}

/** Every line but the per-request access lines, from `from` on. */
const faultLines = (gw: TestGateway, from = 0): Array<Record<string, unknown>> => gw.logs.slice(from).filter((l) => l.msg !== 'request')

/** A TCP front for the InfluxDB double on a fixed port that can go down (connections refused) and come back. */
async function switchableUpstream (t: TestContext, targetPort: number): Promise<{ url: string, up: () => Promise<void>, down: () => Promise<void> }> {
  const port = await freePort()
  let server: Server | undefined
  const sockets = new Set<Socket>()
  const down = async (): Promise<void> => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => server === undefined ? resolve() : server.close(() => resolve()))
    server = undefined
  }
  const up = async (): Promise<void> => {
    server = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1')
      for (const s of [client, upstream]) { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => {}) }
      client.pipe(upstream).pipe(client)
      client.on('close', () => upstream.destroy())
      upstream.on('close', () => client.destroy())
    })
    await new Promise<void>((resolve) => server?.listen(port, '127.0.0.1', resolve))
  }
  t.after(down)
  return { url: `http://127.0.0.1:${port}`, up, down }
}

test('InfluxDB down: a hundred failed requests are one line, then one summary per interval, then one recovery line', async (t) => {
  const clock = testClock()
  const double = await startGateway(t) // only for its InfluxDB double
  const upstream = await switchableUpstream(t, Number(new URL(double.influx.url).port))
  const gw = await startGateway(t, { upstreamUrl: upstream.url, now: clock.now, config: { upstream: { version: 2 } } })
  const cookie = await signIn(gw)
  const from = gw.logs.length
  const statuses = await Promise.all(Array.from({ length: 100 }, async () => (await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })).status))
  assert.deepEqual(new Set(statuses), new Set([503]))
  await gw.waitForLog((l) => l.msg === 'InfluxDB requests failing')
  assert.equal(gw.logs.slice(from).filter((l) => l.msg === 'request').length, 100, 'every request keeps its access line')
  for (let i = 0; i < 10; i++) assert.equal((await fetch(`${gw.url}/gateway/ready`)).status, 503, 'the readiness probe, polled')
  assert.deepEqual(faultLines(gw, from).map((l) => ({ level: l.level, msg: l.msg, kind: l.kind, err: l.err })),
    [{ level: 40, msg: 'InfluxDB requests failing', kind: 'ECONNREFUSED', err: undefined }], 'one line, no stack')

  clock.tick(FAULT_LOG_INTERVAL_MS)
  assert.equal((await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })).status, 503)
  const summary = await gw.waitForLog((l) => l.msg === 'InfluxDB requests still failing')
  assert.deepEqual({ failures: summary.failures, kinds: summary.kinds }, { failures: 100, kinds: { ECONNREFUSED: 100 } })

  await upstream.up()
  clock.tick(FAULT_LOG_INTERVAL_MS)
  assert.equal((await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })).status, 200)
  const recovered = await gw.waitForLog((l) => l.msg === 'InfluxDB requests recovered')
  assert.equal(recovered.failures, 101)
  assert.equal((await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })).status, 200)
  assert.deepEqual(faultLines(gw, from).map((l) => l.msg), ['InfluxDB requests failing', 'InfluxDB requests still failing', 'InfluxDB requests recovered'])
})

/** A gateway on Redis with no in-process session cache: every request asks the store. */
async function onRedis (t: TestContext, url: string, now: () => number): Promise<TestGateway> {
  return await startGateway(t, { now, config: { session: { store: 'redis', redis: { url, commandTimeout: '300ms', connectTimeout: '300ms', cacheTime: '0s' } } } })
}

test('Redis paused: failed requests are one line and a summary, and one line when it answers again', { skip: skipRedis }, async (t) => {
  const redis = await startRedis(REDIS as string)
  t.after(() => redis.stop())
  const clock = testClock()
  const gw = await onRedis(t, redis.url, clock.now)
  const cookie = await signIn(gw)
  const from = gw.logs.length
  redis.pause()
  t.after(() => redis.resume())
  const statuses = await Promise.all(Array.from({ length: 50 }, async () => (await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })).status))
  assert.deepEqual(new Set(statuses), new Set([503]))
  await gw.waitForLog((l) => l.msg === 'session store requests failing')
  assert.deepEqual(faultLines(gw, from).map((l) => ({ msg: l.msg, kind: l.kind, err: l.err })),
    [{ msg: 'session store requests failing', kind: 'timeout', err: undefined }], 'one line, no stack')

  clock.tick(FAULT_LOG_INTERVAL_MS)
  assert.equal((await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })).status, 503)
  const summary = await gw.waitForLog((l) => l.msg === 'session store requests still failing')
  assert.equal(summary.failures, 50)

  redis.resume()
  clock.tick(FAULT_LOG_INTERVAL_MS)
  // Nothing but the store's own probe notices it answering again: no request is needed.
  const recovered = await gw.waitForLog((l) => l.msg === 'session store requests recovered')
  assert.equal(recovered.failures, 51)
  assert.equal((await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })).status, 200)
  assert.deepEqual(faultLines(gw, from).map((l) => l.msg),
    ['session store requests failing', 'session store requests still failing', 'session store requests recovered'])
})

test('Redis restarted without its data: lost, back and emptied are logged once each; sessions end, not 503', { skip: skipRedis }, async (t) => {
  const first = await startRedis(REDIS as string)
  t.after(() => first.stop())
  const clock = testClock()
  const gw = await onRedis(t, first.url, clock.now)
  const cookie = await signIn(gw)
  await gw.waitForLog((l) => l.msg === 'session store connected (redis)')
  const from = gw.logs.length
  await first.stop() // the PID this test started
  await gw.waitForLog((l) => l.msg === 'session store unavailable (redis); retrying, requests needing it get 503')
  const second = await startRedis(REDIS as string, first.port)
  t.after(() => second.stop())
  const emptied = await gw.waitForLog((l) => l.msg?.toString().startsWith('session store emptied') === true)
  assert.equal(emptied.host, `127.0.0.1:${first.port}`)
  assert.equal((await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })).status, 401, 'the session is gone with the data')
  for (let i = 0; i < 5; i++) await signIn(gw)
  const changes = faultLines(gw, from).filter((l) => l.audit === undefined).map((l) => String(l.msg))
  assert.deepEqual(changes, [
    'session store unavailable (redis); retrying, requests needing it get 503',
    'session store connected (redis)',
    'session store emptied (restarted without its data, or flushed): every session and ban is gone'
  ])
})
