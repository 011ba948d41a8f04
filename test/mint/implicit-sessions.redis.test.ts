/**
 * Implicit sessions of auth-proxy identities with the Redis store, against a real redis-server: each replica keeps
 * its own (a token per identity per replica); the orphan sweep, which checks every replica's sessions in Redis,
 * never deletes a live one's token; a replica that stops leaves its sessions to expire in Redis, and the sweep of
 * another replica then deletes their tokens.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { requireBinary } from '../helpers/binaries.ts'
import { startFakeInflux } from '../helpers/fake-influx.ts'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { fetchFrom, PROXY_ADDRESS } from '../helpers/peer.ts'
import { startRedis } from '../helpers/redis-server.ts'

const REDIS = requireBinary('redis-server', 'redis-server', 'Redis session store')
const skip = REDIS === undefined ? 'redis-server not installed' : false

const AUTH_PROXY = { userHeader: 'Remote-User', groupsHeader: 'Remote-Groups', trustedProxies: [`${PROXY_ADDRESS}/32`] }
const ACCESS = [{ group: 'analysts', mint: { org: 'my-org', permissions: ['read:buckets'] } }]
const CAROL = { 'remote-user': 'carol', 'remote-groups': 'analysts' }

test('each replica mints its own token per identity; the sweep keeps live ones, and deletes those of a stopped replica once Redis expires its sessions',
  { skip }, async (t) => {
    const redis = await startRedis(REDIS as string)
    t.after(() => redis.stop())
    const influx = await startFakeInflux({ tenancy: { users: ['carol'] } })
    t.after(() => influx.close())
    const replica = (): Promise<TestGateway> => startGateway(t, {
      upstreamUrl: influx.url,
      operatorToken: influx.tenancy.operatorToken,
      access: ACCESS,
      now: () => Date.now() + 10 * 60_000, // past the sweep's grace for young tokens
      config: { authProxy: AUTH_PROXY, session: { store: 'redis', redis: { url: redis.url } }, upstream: { mintSweepInterval: '1s' } }
    })
    const [a, b] = [await replica(), await replica()]
    const proxy = fetchFrom(t, PROXY_ADDRESS)
    const seen = async (gw: TestGateway): Promise<string | undefined> => {
      assert.equal((await proxy(`${gw.url}/api/v2/buckets`, { headers: CAROL })).status, 200)
      return influx.last()?.headers.authorization
    }
    const viaA = await seen(a)
    const viaB = await seen(b)
    const [tokenA, tokenB] = influx.tenancy.authorizations()
    assert.ok(tokenA !== undefined && tokenB !== undefined && influx.tenancy.authorizations().length === 2, 'a token per replica')
    assert.deepEqual([viaA, viaB], [`Token ${tokenA.token}`, `Token ${tokenB.token}`])
    assert.equal(await seen(a), viaA)

    const after = influx.requests.length
    await influx.waitForRequest((r) => r.method === 'GET' && r.path === '/api/v2/authorizations' && influx.requests.indexOf(r) > after)
    assert.equal(influx.requests.filter((r) => r.method === 'DELETE').length, 0, 'live implicit sessions keep their tokens through a sweep')

    await a.deps.close() // replica a stops; its sessions stay in Redis until their idle timeout
    assert.equal(influx.tenancy.authorizations().length, 2)
    const client = new Redis(redis.url)
    t.after(() => client.quit())
    const key = await client.get(`influx-gateway:minted:${tokenA.id}`) // the minted index: which session holds it
    assert.ok(key !== null)
    await client.pexpire(key, 1) // what the idle timeout does
    await influx.waitForRequest((r) => r.method === 'DELETE' && r.path === `/api/v2/authorizations/${tokenA.id}`)
    assert.deepEqual(influx.tenancy.authorizations().map((x) => x.id), [tokenB.id])
    assert.equal(await seen(b), viaB, 'replica b\'s session lives on')
  })
