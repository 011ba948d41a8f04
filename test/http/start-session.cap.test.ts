/**
 * `session.maxPerIdentity` (src/http/start-session.ts through the store's create, src/session/identity-session-index.ts):
 * one password must not fill InfluxDB with tokens. A sign-in over the cap ends that identity's oldest-created
 * session (its minted token deleted, audited with reason `session cap`); implicit auth-proxy sessions count; a
 * reload that lowers the cap trims at the identity's next sign-in; `0` is no cap.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { signIn, startGateway, type TestGateway, type TestUser } from '../helpers/gateway.ts'
import { fetchFrom, PROXY_ADDRESS } from '../helpers/peer.ts'

const MINT = { org: 'my-org', permissions: ['read:buckets'] }
const MINTER: TestUser = { name: 'alice', password: 'correct horse battery staple', mint: MINT }
const INFLUX = { tenancy: { users: ['alice', 'carol'], buckets: ['telemetry'] } }

/** The status of a proxied request with `cookie`. */
async function statusWith (gw: TestGateway, cookie: string): Promise<number> {
  const res = await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })
  await res.arrayBuffer()
  return res.status
}

/** Signs `user` in `n` times, one after the other; the cookies in sign-in order. */
async function signIns (gw: TestGateway, n: number, user: TestUser = MINTER): Promise<string[]> {
  const cookies: string[] = []
  for (let i = 0; i < n; i++) cookies.push(await signIn(gw, user.name, user.password))
  return cookies
}

/** Waits until `count` minted tokens were deleted in InfluxDB. */
async function deletions (gw: TestGateway, count: number): Promise<void> {
  const revoked = (l: Record<string, unknown>): boolean => l.audit === 'token' && l.result === 'revoked'
  await gw.waitForLog((l) => revoked(l) && gw.logs.filter(revoked).length >= count)
}

test('12 sign-ins of one minting user with the default cap leave 10 sessions: the first two end, their tokens deleted', async (t) => {
  const gw = await startGateway(t, { users: [MINTER], influx: INFLUX })
  const cookies = await signIns(gw, 12)
  assert.equal(await gw.deps.sessions.count(), 10)
  const statuses = await Promise.all(cookies.map((c) => statusWith(gw, c)))
  assert.deepEqual(statuses, [401, 401, ...Array<number>(10).fill(200)])
  await deletions(gw, 2)
  assert.equal(gw.influx.tenancy.authorizations().length, 10, 'only the live sessions\' tokens are left in InfluxDB')
  const capped = gw.logs.filter((l) => l.audit === 'session' && l.reason === 'session cap')
  assert.equal(capped.length, 2)
  assert.deepEqual(capped.map((l) => [l.user, l.source]), [['alice', 'file'], ['alice', 'file']])
  const revoked = gw.logs.filter((l) => l.audit === 'token' && l.result === 'revoked')
  assert.deepEqual(revoked.map((l) => l.session).sort(), capped.map((l) => l.session).sort(), 'the ended sessions\' tokens')
})

test('maxPerIdentity 0 is no cap', async (t) => {
  const gw = await startGateway(t, { users: [MINTER], influx: INFLUX, config: { session: { maxPerIdentity: 0 } } })
  const cookies = await signIns(gw, 12)
  assert.equal(await gw.deps.sessions.count(), 12)
  for (const cookie of cookies) assert.equal(await statusWith(gw, cookie), 200)
  assert.equal(gw.influx.tenancy.authorizations().length, 12)
  assert.ok(!gw.logs.some((l) => l.reason === 'session cap'))
})

test('a reload that lowers the cap trims at the identity\'s next sign-in, keeping the newest', async (t) => {
  const gw = await startGateway(t, { users: [MINTER], influx: INFLUX, config: { session: { maxPerIdentity: 5 } } })
  const before = await signIns(gw, 5)
  await gw.deps.applyConfig({ ...gw.deps.config, session: { ...gw.deps.config.session, maxPerIdentity: 2 } })
  assert.equal(await gw.deps.sessions.count(), 5, 'a reload alone ends nothing')
  const [next] = await signIns(gw, 1)
  assert.ok(next !== undefined)
  const statuses = await Promise.all([...before, next].map((c) => statusWith(gw, c)))
  assert.deepEqual(statuses, [401, 401, 401, 401, 200, 200])
  await deletions(gw, 4)
  assert.equal(gw.influx.tenancy.authorizations().length, 2)
})

test('each user has a cap of their own', async (t) => {
  const carol: TestUser = { name: 'carol', password: 'another long passphrase', mint: MINT }
  const gw = await startGateway(t, { users: [MINTER, carol], influx: INFLUX, config: { session: { maxPerIdentity: 2 } } })
  const alice = await signIns(gw, 2)
  const carols = await signIns(gw, 3, carol)
  assert.deepEqual(await Promise.all([...alice, ...carols].map((c) => statusWith(gw, c))), [200, 200, 401, 200, 200])
})

const AUTH_PROXY = { userHeader: 'Remote-User', groupsHeader: 'Remote-Groups', trustedProxies: [`${PROXY_ADDRESS}/32`] }

test('implicit auth-proxy sessions count: a third group set of one proxy user ends the oldest implicit session', async (t) => {
  const access = [{ group: 'analysts', mint: MINT }]
  const gw = await startGateway(t, { config: { authProxy: AUTH_PROXY, session: { maxPerIdentity: 2 } }, access, influx: INFLUX })
  const proxy = fetchFrom(t, PROXY_ADDRESS)
  for (const groups of ['analysts', 'analysts,staff', 'analysts,ops']) {
    const res = await proxy(`${gw.url}/api/v2/buckets`, { headers: { 'remote-user': 'carol', 'remote-groups': groups } })
    await res.arrayBuffer()
    assert.equal(res.status, 200)
  }
  await deletions(gw, 1)
  assert.equal(gw.influx.tenancy.authorizations().length, 2)
  const capped = await gw.waitForLog((l) => l.reason === 'session cap')
  assert.deepEqual([capped.user, capped.source], ['carol', 'proxy'])
  assert.equal(await gw.deps.sessions.count(), 2)
})
