/**
 * The session cap across replicas (src/session/identity-session-index.ts): two gateways on one Redis signing
 * the same identity in at once never leave it more sessions than `session.maxPerIdentity`.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { requireBinary } from '../helpers/binaries.ts'
import { ALICE, signIn, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { startRedis } from '../helpers/redis-server.ts'

const REDIS = requireBinary('redis-server', 'redis-server', 'session cap across replicas')
const CAP = 3

test('two replicas signing one identity in at once never leave more than the cap', { skip: REDIS === undefined ? 'redis-server not installed' : false }, async (t) => {
  const redis = await startRedis(REDIS as string)
  t.after(() => redis.stop())
  const session = { store: 'redis', maxPerIdentity: CAP, redis: { url: redis.url, keyPrefix: 'race:', cacheTime: '0s' } }
  const config = { session, signin: { maxFailures: 0 } }
  const replicas = [await startGateway(t, { config }), await startGateway(t, { config })]
  const works = async (gw: TestGateway, cookie: string): Promise<boolean> => {
    const res = await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })
    await res.arrayBuffer()
    return res.status === 200
  }
  for (let round = 0; round < 3; round++) {
    const cookies = await Promise.all(Array.from({ length: 24 }, async (_, i) => await signIn(replicas[i % 2] as TestGateway)))
    const live = (await Promise.all(cookies.map(async (c, i) => await works(replicas[(i + 1) % 2] as TestGateway, c)))).filter(Boolean)
    assert.equal(live.length, CAP, `round ${round}: ${live.length} of alice's sessions work on the other replica`)
  }
  const capped = replicas.flatMap((gw) => gw.logs.filter((l) => l.reason === 'session cap' && l.user === ALICE.name))
  assert.equal(capped.length, 3 * 24 - CAP, 'every session past the cap was ended once, and audited')
})
