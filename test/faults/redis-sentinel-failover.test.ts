/**
 * Redis Sentinel under load: a real primary, one replica and three Sentinels (test/helpers/redis-sentinel.ts);
 * the primary is killed (SIGKILL, by the PID this test started) while sign-ins and requests run. No session
 * that was answered 204 is lost (each was confirmed by the replica before the answer); while the store
 * switches, sign-ins and requests answer 503, never 401; after it the gateway follows the new primary
 * without a restart: sessions are read and renewed there at once, and new sign-ins work again as soon as
 * the new primary has a replica to confirm them (the old primary, started again).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { requireBinary } from '../helpers/binaries.ts'
import { ALICE, basic, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { recordSetCookies } from '../helpers/secret-ledger.ts'
import { startSentinelTopology } from '../helpers/redis-sentinel.ts'

const REDIS = requireBinary('redis-server', 'redis-server', 'Redis Sentinel failover')
const SENTINEL = requireBinary('redis-sentinel', 'redis-sentinel', 'Redis Sentinel failover')
const skip = REDIS === undefined || SENTINEL === undefined ? 'redis-server or redis-sentinel not installed' : false

/** Sign-ins and requests running at once while the primary dies. */
const WORKERS = 4
/** Sign-ins the load must have answered 204 before the kill, and again after the gateway has followed the new primary. */
const ROUND_SIGNINS = 12
const DATA_PASSWORD = 'data-password-0123'
const SENTINEL_PASSWORD = 'sentinel-password-4567'
/** Longest wait for the load to reach a number of sign-ins answered 204. */
const LOAD_WAIT_MS = 30_000
const STORE_DOWN = JSON.stringify({ code: 'unavailable', message: 'session store is unavailable' })

/** What the load saw: every answer by kind and status, the cookies of the sign-ins answered 204. */
interface Load { answers: Map<string, number>, unexpected: string[], acked: string[], stop: () => Promise<void> }

async function signIn (gw: TestGateway): Promise<Response> {
  return await fetch(`${gw.url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic(ALICE.name, ALICE.password) } })
}

function cookieOf (res: Response): string {
  const setCookie = res.headers.get('set-cookie') ?? ''
  recordSetCookies(setCookie)
  return setCookie.split(';')[0] as string
}

/** Workers that sign in and use the sessions answered so far, until stopped; `onAcked` hears each 204. */
function startLoad (gw: TestGateway, acked: string[], onAcked: () => void): Load {
  const answers = new Map<string, number>()
  const unexpected: string[] = []
  const state = { running: true }
  const note = async (kind: string, res: Response, ok: number): Promise<void> => {
    answers.set(`${kind} ${res.status}`, (answers.get(`${kind} ${res.status}`) ?? 0) + 1)
    const body = await res.text()
    if (res.status !== ok && !(res.status === 503 && body === STORE_DOWN)) unexpected.push(`${kind} ${res.status} ${body}`)
  }
  const worker = async (w: number): Promise<void> => {
    for (let round = 0; state.running; round++) {
      const res = await signIn(gw)
      if (res.status === 204) { acked.push(cookieOf(res)); onAcked() }
      await note('sign-in', res, 204)
      for (let i = 0; i < 3 && acked.length > 0; i++) {
        const cookie = acked[(round * 7 + w * 3 + i) % acked.length] as string
        await note('request', await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } }), 200)
      }
    }
  }
  const done = Promise.all(Array.from({ length: WORKERS }, async (_, w) => await worker(w)))
  return { answers, unexpected, acked, stop: async () => { state.running = false; await done } }
}

test('the primary dies under load: no answered session is lost, 503 (never 401) during the switch, the new primary followed', {
  skip, timeout: 120_000
}, async (t) => {
  const topology = await startSentinelTopology({
    redisServer: REDIS as string, redisSentinel: SENTINEL as string, password: DATA_PASSWORD, sentinelPassword: SENTINEL_PASSWORD
  })
  t.after(() => topology.stop())
  let clock = Date.now()
  const redis = {
    sentinels: topology.sentinels,
    name: topology.name,
    password: DATA_PASSWORD,
    sentinelPassword: SENTINEL_PASSWORD,
    connectTimeout: '1s',
    commandTimeout: '300ms',
    cacheTime: '0s' // every request asks the store: none is answered from this replica's cache
  }
  // The throttle stays on the store (its checks fail with 503 too), with room for the attempt slots that sign-ins cut
  // by the switch cannot give back: those lapse after a minute, which the test's clock never lets pass.
  const signin = { maxFailures: 1000 }
  const gw = await startGateway(t, { now: () => clock, config: { signin, session: { store: 'redis', idleTimeout: '1m', maxPerIdentity: 0, redis } } })
  const primary = `127.0.0.1:${topology.primary.port}`
  assert.equal(await topology.primaryAddress(), primary)

  const acked: string[] = []
  let wake: (() => void) | undefined
  const ackedReach = (n: number): Promise<void> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${acked.length} sign-ins answered 204, not ${n}, within ${LOAD_WAIT_MS} ms`)), LOAD_WAIT_MS)
    wake = () => { if (acked.length >= n) { clearTimeout(timer); resolve() } }
    wake()
  })
  const load = startLoad(gw, acked, () => wake?.())
  t.after(() => load.stop())
  await ackedReach(ROUND_SIGNINS)
  const answeredBefore = acked.length

  const { switched } = await topology.watchSwitch()
  topology.primary.kill()
  await gw.waitForLog((l) => l.msg === 'session store unavailable (redis); retrying, requests needing it get 503')
  // Sentinel cannot even call the primary down before down-after-milliseconds (1s), longer than commandTimeout.
  const [during, duringRequest] = await Promise.all([
    signIn(gw), fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie: acked[0] as string } })
  ])
  assert.deepEqual([during.status, await during.text()], [503, STORE_DOWN], 'a sign-in while the primary is gone')
  assert.deepEqual([duringRequest.status, await duringRequest.text()], [503, STORE_DOWN], 'a request while the primary is gone: not a 401')

  const next = await switched
  assert.equal(next, `127.0.0.1:${topology.replica.port}`, 'the replica is the new primary')
  await gw.waitForLog((l) => l.msg === 'session store connected (redis)' && l.host === next)
  // The new primary has no replica yet: a session only it held would be lost with it, so no sign-in is answered.
  const [noReplica, onNewPrimary] = await Promise.all([
    signIn(gw), fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie: acked[0] as string } })
  ])
  assert.deepEqual([noReplica.status, await noReplica.text()], [503, STORE_DOWN], 'a sign-in no replica can confirm')
  assert.equal(onNewPrimary.status, 200, 'a session answered before the kill, read from the new primary')

  await topology.revivePrimary() // the old primary comes back as the new one's replica
  const answeredAtRevival = acked.length
  await ackedReach(answeredAtRevival + ROUND_SIGNINS)
  await load.stop()
  t.diagnostic(`answers under load: ${JSON.stringify(Object.fromEntries(load.answers))}; 204 before the kill: ${answeredBefore}`)

  assert.deepEqual(load.unexpected, [], 'every answer was a success or the store\'s 503: no 401, no 500')
  assert.equal([...load.answers.keys()].some((k) => k.endsWith(' 401')), false)
  for (const cookie of acked) {
    const res = await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })
    assert.equal(res.status, 200, 'every session answered 204, before or during the failover, still works')
  }
  // Renewal on the new primary: 40 s, a request (renews the 1 m idle timeout), 40 s more: alive only if renewed.
  for (const step of [40_000, 40_000]) {
    clock += step
    for (const cookie of acked.slice(0, answeredBefore)) {
      assert.equal((await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })).status, 200, 'the session renews')
    }
  }
  assert.equal((await signIn(gw)).status, 204, 'a new sign-in after the failover')
  for (const secret of [DATA_PASSWORD, SENTINEL_PASSWORD]) assert.ok(!gw.logText().includes(secret), 'no password in the logs')
  assert.equal(gw.logs.some((l) => String(l.msg).startsWith('session store emptied')), false, 'the new primary holds the old one\'s data')
})
