import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { hashPassword } from '../../src/auth/password.ts'
import { requireBinary } from '../helpers/binaries.ts'
import { cli, isLog, tempFile, type Cli } from '../helpers/cli-process.ts'
import { startFakeInflux } from '../helpers/fake-influx.ts'
import { ALICE, basic, fetchRefused, signIn, startGateway, TEST_RECORD_KEY, type TestGateway } from '../helpers/gateway.ts'
import { parsePrometheus, sampleValue } from '../helpers/prometheus.ts'
import { freePort, startRedis } from '../helpers/redis-server.ts'

/** The Redis session store as replicas use it, against a real redis-server: in one process, then as separate processes. */

const REDIS = requireBinary('redis-server', 'redis-server', 'Redis session store')
const skip = REDIS === undefined ? 'redis-server not installed' : false

function replica (t: TestContext, url: string, extra: Record<string, unknown> = {}, now?: () => number): Promise<TestGateway> {
  return startGateway(t, { now, config: { session: { store: 'redis', redis: { url, commandTimeout: '300ms', connectTimeout: '300ms', ...extra } } } })
}

/** A clock the replicas share and a test moves (Redis's own TTLs keep real time; they are hours here). */
function testClock (): { now: () => number, tick: (ms: number) => void } {
  let t = Date.now()
  return { now: () => t, tick: (ms) => { t += ms } }
}

const status = async (gw: TestGateway, cookie: string): Promise<number> =>
  (await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })).status

test('two replicas on one Redis share sessions, sign-outs, bans, and survive a restart', { skip }, async (t) => {
  const redis = await startRedis(REDIS as string)
  t.after(() => redis.stop())
  const clock = testClock()
  const a = await replica(t, redis.url, {}, clock.now)
  const b = await replica(t, redis.url, {}, clock.now)
  const cookie = await signIn(a)
  assert.equal(await status(b, cookie), 200, 'made on A, works on B')
  assert.equal(b.influx.last()?.headers.authorization, 'Token test-token')

  const again = await signIn(a)
  assert.equal((await fetch(`${b.url}/api/v2/signout`, { method: 'POST', headers: { cookie: again } })).status, 204)
  await fetchRefused(b, '/api/v2/buckets', { headers: { cookie: again } }, 401, 'ended on B at once')
  assert.equal(await status(a, again), 200, 'A trusts its cached copy for up to session.redis.cacheTime (1 s)')
  clock.tick(1000)
  await fetchRefused(a, '/api/v2/buckets', { headers: { cookie: again } }, 401, 'signed out on B, ended on A within cacheTime')

  const restarted = await replica(t, redis.url)
  assert.equal(await status(restarted, cookie), 200, 'a new process still knows the session')

  for (let i = 0; i < 5; i++) await fetch(`${(i % 2 === 0 ? a : b).url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic('alice', 'wrong') } })
  const banned = await fetch(`${b.url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic(ALICE.name, ALICE.password) } })
  assert.equal(banned.status, 429, 'failures on both replicas add up')

  const keys = await redis.command('KEYS', '*')
  assert.ok(!keys.includes(cookie.split('=')[1] as string), 'no raw session id in Redis')
  for (const key of keys.split('\r\n').filter((k) => k.startsWith('influx-gateway:session:'))) {
    const value = await redis.command('GET', key)
    assert.match(value, /"u":"alice"/)
    assert.ok(!value.includes('test-token'), 'no upstream credential in Redis')
  }
})

test('influx_gateway_sessions_active counts the sessions every replica shares, without a scan', { skip }, async (t) => {
  const redis = await startRedis(REDIS as string)
  t.after(() => redis.stop())
  const clock = testClock()
  const a = await replica(t, redis.url, {}, clock.now)
  const b = await replica(t, redis.url, {}, clock.now)
  const active = async (gw: TestGateway): Promise<number | undefined> =>
    sampleValue(parsePrometheus(await (await fetch(`${gw.url}/gateway/metrics`)).text()), 'influx_gateway_sessions_active')
  const first = await signIn(a)
  await signIn(b)
  const third = await signIn(a)
  assert.deepEqual([await active(a), await active(b)], [3, 3])
  assert.equal((await fetch(`${b.url}/api/v2/signout`, { method: 'POST', headers: { cookie: third } })).status, 204)
  assert.deepEqual([await active(a), await active(b)], [2, 2], 'a sign-out on B counts on A too')
  clock.tick(5 * 60_000)
  assert.equal(await status(a, first), 200, 'used at 5 minutes: renewed')
  clock.tick(6 * 60_000)
  assert.equal(await active(b), 1, 'the unused one passed its idle timeout; the renewed one lives on')
  const keys = (await redis.command('KEYS', '*')).split('\r\n').filter((k) => k.endsWith(':sessions'))
  assert.equal(keys.length, 1, 'one sorted set, no scan')
})

test('a Redis outage answers 503 within commandTimeout, keeps the cookie, and the same cookie works again after', { skip }, async (t) => {
  const redis = await startRedis(REDIS as string)
  t.after(() => redis.stop())
  const clock = testClock()
  const gw = await replica(t, redis.url, {}, clock.now)
  const cookie = await signIn(gw)
  clock.tick(1000) // past session.redis.cacheTime: the next request asks Redis
  redis.pause()
  t.after(() => redis.resume())
  const started = Date.now()
  const res = await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })
  assert.equal(res.status, 503)
  assert.ok(Date.now() - started < 2000, `answered in ${Date.now() - started} ms`)
  assert.deepEqual(await res.json(), { code: 'unavailable', message: 'session store is unavailable' })
  assert.equal(res.headers.get('set-cookie'), null, 'the cookie is not cleared')
  assert.equal((await fetch(`${gw.url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic(ALICE.name, ALICE.password) } })).status, 503)
  const ready = await fetch(`${gw.url}/gateway/ready`)
  assert.equal(ready.status, 503)
  assert.equal((await ready.json() as { message: string }).message, 'session store is unavailable')
  redis.resume()
  await gw.waitForLog((l) => l.msg === 'session store connected (redis)')
  assert.equal(await status(gw, cookie), 200, 'the same cookie works again')
})

test('starting while Redis is down: 503 meanwhile, a clear log line, then it connects on its own', { skip }, async (t) => {
  const port = await freePort()
  const gw = await replica(t, `redis://:not-logged-pw@127.0.0.1:${port}`)
  const down = await gw.waitForLog((l) => l.msg === 'session store unavailable (redis); retrying, requests needing it get 503')
  assert.equal(down.host, `127.0.0.1:${port}`)
  assert.equal((await fetch(`${gw.url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic(ALICE.name, ALICE.password) } })).status, 503)
  assert.equal((await fetch(`${gw.url}/gateway/health`)).status, 200, 'alive meanwhile')
  const redis = await startRedis(REDIS as string, port)
  t.after(() => redis.stop())
  await gw.waitForLog((l) => l.msg === 'session store connected (redis)')
  const cookie = await signIn(gw)
  assert.equal(await status(gw, cookie), 200)
  assert.ok(!gw.logText().includes('not-logged-pw'), 'the Redis password is never logged')
})

test('two gateway processes on one Redis: made on A works on B, signed out on B ends on A, A restarted keeps it', { skip }, async (t: TestContext) => {
  const redis = await startRedis(REDIS as string)
  t.after(() => redis.stop())
  const influx = await startFakeInflux({ tokens: ['replica-token-1'] })
  t.after(() => influx.close())
  const hash = await hashPassword('replica password', { ln: 10, r: 8, p: 1 })
  const file = tempFile(t, 'gateway.yaml', [
    'server: { host: 127.0.0.1, port: 0 }',
    'metrics: { port: 0 }',
    'upstream: { url: "${INFLUX_URL}" }',
    // No in-process cache: the processes' clocks cannot be moved, so exactness is what is checked here
    // (the cacheTime bound is tested with in-process replicas on a test clock above).
    'session: { store: redis, recordKey: "${SESSION_RECORD_KEY}", redis: { url: "${REDIS_URL}", cacheTime: 0s } }',
    'users:',
    `  - { name: alice, passwordHash: "${hash}", token: "\${ALICE_TOKEN}" }`
  ].join('\n'))
  const env = { ...process.env, INFLUX_URL: influx.url, REDIS_URL: redis.url, ALICE_TOKEN: 'replica-token-1', SESSION_RECORD_KEY: TEST_RECORD_KEY }
  const start = async (): Promise<{ run: Cli, url: string }> => {
    const run = cli(t, ['--config', file], { env })
    const { url } = JSON.parse(await run.waitForLine(isLog('listening'))) as { url: string }
    return { run, url }
  }
  const statusAt = async (url: string, cookie: string): Promise<number> => (await fetch(`${url}/api/v2/buckets`, { headers: { cookie } })).status
  const a = await start()
  const b = await start()
  const signInAt = async (url: string): Promise<string> => {
    const res = await fetch(`${url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic('alice', 'replica password') } })
    assert.equal(res.status, 204)
    return (res.headers.get('set-cookie') ?? '').split(';')[0] as string
  }
  const kept = await signInAt(a.url)
  assert.equal(await statusAt(b.url, kept), 200, 'made on A, works on B')
  const ended = await signInAt(a.url)
  assert.equal((await fetch(`${b.url}/api/v2/signout`, { method: 'POST', headers: { cookie: ended } })).status, 204)
  assert.equal(await statusAt(a.url, ended), 401, 'signed out on B, ended on A')

  process.kill(a.run.child.pid as number, 'SIGTERM')
  assert.equal(await a.run.exited, 0)
  const restarted = await start()
  assert.equal(await statusAt(restarted.url, kept), 200, 'A restarted: its sessions still work')
  for (const p of [b, restarted]) process.kill(p.run.child.pid as number, 'SIGTERM')
  assert.equal(await b.run.exited, 0)
  assert.equal(await restarted.run.exited, 0)
})
