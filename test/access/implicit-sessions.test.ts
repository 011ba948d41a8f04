/**
 * Auth-proxy identities whose access rule mints (src/access/implicit-sessions.ts, from src/http/request-access.ts):
 * each identity gets an implicit, cookie-less session in the session store holding its own minted token, minted
 * once at its first request, never the operator token; the session ends, and its token is deleted, as any
 * session does (idle timeout, a rule that mints otherwise or no more, sign-out), and the next request mints anew.
 */
import assert from 'node:assert/strict'
import { mock, test, type TestContext } from 'node:test'
import type { UpstreamCredential } from '../../src/auth/access-rules.ts'
import { createImplicitSessions } from '../../src/access/implicit-sessions.ts'
import type { StoredAuthorization } from '../helpers/fake-influx-tenancy.ts'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'
import { fetchFrom, PROXY_ADDRESS, type PeerFetch } from '../helpers/peer.ts'
import { parsePrometheus, sampleValue } from '../helpers/prometheus.ts'

const MINT = { org: 'my-org', permissions: ['read:buckets', 'write:buckets/telemetry'] }
const AUTH_PROXY = { userHeader: 'Remote-User', groupsHeader: 'Remote-Groups', trustedProxies: [`${PROXY_ADDRESS}/32`] }
const ACCESS = [{ group: 'analysts', mint: MINT }, { group: 'viewers', token: 'test-token' }]
const INFLUX = { tenancy: { users: ['carol'], buckets: ['telemetry'] } }
const CAROL = { 'remote-user': 'carol', 'remote-groups': 'analysts,staff' }
const DAVE = { 'remote-user': 'dave', 'remote-groups': 'analysts' }

async function start (
  t: TestContext, config: Record<string, Record<string, unknown>> = {}
): Promise<{ gw: TestGateway, proxy: PeerFetch }> {
  const gw = await startGateway(t, { config: { authProxy: AUTH_PROXY, ...config }, access: ACCESS, influx: INFLUX })
  return { gw, proxy: fetchFrom(t, PROXY_ADDRESS) }
}

/** The live authorizations in the double. */
const live = (gw: TestGateway): StoredAuthorization[] => gw.influx.tenancy.authorizations()

/** How many tokens the gateway asked InfluxDB to mint. */
const mints = (gw: TestGateway): number => gw.influx.requests.filter((r) => r.method === 'POST' && r.path === '/api/v2/authorizations').length

/** The one live authorization. */
function onlyAuthorization (gw: TestGateway): StoredAuthorization {
  const [auth, ...more] = live(gw)
  assert.ok(auth !== undefined && more.length === 0, `exactly one minted token, not ${live(gw).length}`)
  return auth
}

/** Waits until InfluxDB has deleted `auth`, then checks its token no longer works there. */
async function revoked (gw: TestGateway, auth: StoredAuthorization): Promise<void> {
  await gw.influx.waitForRequest((r) => r.method === 'DELETE' && r.path === `/api/v2/authorizations/${auth.id}`)
  await gw.waitForLog((l) => l.result === 'revoked' && l.authorization === auth.id)
  assert.ok(!live(gw).some((a) => a.id === auth.id))
  const res = await fetch(`${gw.influx.url}/api/v2/buckets`, { headers: { authorization: `Token ${auth.token}` } })
  assert.equal(res.status, 401, 'a deleted token is refused by InfluxDB')
}

/** A GET through the proxy; resolves to the status and the Authorization InfluxDB saw. */
async function get (gw: TestGateway, proxy: PeerFetch, headers: Record<string, string>, path = '/api/v2/buckets'): Promise<[number, string?]> {
  const before = gw.influx.requests.length
  const res = await proxy(`${gw.url}${path}`, { headers })
  await res.arrayBuffer()
  const seen = gw.influx.requests.slice(before).filter((r) => r.path === path).at(-1)
  return [res.status, seen?.headers.authorization]
}

test('a proxy identity whose rule mints goes upstream with a token of its own, minted once, never the operator token', async (t) => {
  const { gw, proxy } = await start(t)
  const firsts = await Promise.all(Array.from({ length: 8 }, () => get(gw, proxy, CAROL)))
  const auth = onlyAuthorization(gw)
  assert.equal(mints(gw), 1, 'eight concurrent first requests, one token minted')
  for (const seen of firsts) assert.deepEqual(seen, [200, `Token ${auth.token}`])
  for (let i = 0; i < 5; i++) assert.deepEqual(await get(gw, proxy, { ...CAROL, 'remote-groups': 'staff, analysts' }, '/api/v2/me'), [200, `Token ${auth.token}`])
  assert.equal(live(gw).length, 1, 'the same identity (its groups in any order) keeps its token')
  assert.equal(auth.user, 'carol', 'for the InfluxDB user of the same name')
  assert.deepEqual(auth.permissions.map((p) => `${p.action}:${p.resource.type}`), ['read:buckets', 'write:buckets'])
  assert.match(auth.description, /^influx-gateway \(memory\) session [\w-]{12} of carol$/)

  const [status, daves] = await get(gw, proxy, DAVE)
  assert.equal(status, 200)
  const dave = live(gw).find((a) => a.user !== 'carol')
  assert.ok(dave !== undefined && live(gw).length === 2, 'another identity, another token')
  assert.equal(daves, `Token ${dave.token}`)
  assert.deepEqual(await get(gw, proxy, { 'remote-user': 'erin', 'remote-groups': 'viewers' }), [200, 'Token test-token'])
  assert.equal(live(gw).length, 2, 'a rule with a static token mints nothing')

  for (const r of gw.influx.requests.filter((r) => !r.path.startsWith('/api/v2/authorizations') && r.path !== '/api/v2/orgs' &&
    r.path !== '/api/v2/users' && r.query.get('name') === null)) {
    assert.notEqual(r.headers.authorization, `Token ${gw.influx.tenancy.operatorToken}`, `${r.method} ${r.url}`)
    assert.equal(r.headers['remote-user'], undefined)
  }
  const started = gw.logs.filter((l) => l.audit === 'session' && l.result === 'started')
  assert.deepEqual(started.map((l) => [l.user, l.source]), [['carol', 'proxy'], ['dave', 'proxy']])
  assert.ok(!gw.logText().includes(auth.token) && !gw.logText().includes(dave.token), 'no minted token in a log line')
  const metrics = parsePrometheus(await (await fetch(`${gw.url}/gateway/metrics`)).text())
  assert.equal(sampleValue(metrics, 'influx_gateway_tokens_minted_total'), 2)
  assert.equal(sampleValue(metrics, 'influx_gateway_sessions_active'), 2, 'implicit sessions are sessions')
  assert.equal(sampleValue(metrics, 'influx_gateway_auth_proxy_requests_total', { outcome: 'authenticated' }), 15)
})

test('the idle timeout ends the implicit session and deletes its token; the next request mints anew', async (t) => {
  mock.timers.enable({ apis: ['Date'], now: Date.now() })
  t.after(() => mock.timers.reset())
  const { gw, proxy } = await start(t, { session: { idleTimeout: '10m' } })
  await get(gw, proxy, CAROL)
  const first = onlyAuthorization(gw)
  mock.timers.tick(9 * 60_000)
  assert.deepEqual(await get(gw, proxy, CAROL), [200, `Token ${first.token}`], 'used within the idle timeout: renewed')
  mock.timers.tick(9 * 60_000)
  assert.deepEqual(await get(gw, proxy, CAROL), [200, `Token ${first.token}`])
  mock.timers.tick(10 * 60_000 + 1)
  const [status, seen] = await get(gw, proxy, CAROL)
  await revoked(gw, first)
  const second = onlyAuthorization(gw)
  assert.deepEqual([status, seen], [200, `Token ${second.token}`])

  // Never used again: the in-process sweeper (every second, real time) finds it expired without a request.
  mock.timers.tick(10 * 60_000 + 1)
  await revoked(gw, second)
  assert.equal(await gw.deps.sessions.count(), 0)
})

test('requests to session.passiveRoutes (polling) use the implicit session without renewing it', async (t) => {
  mock.timers.enable({ apis: ['Date'], now: Date.now() })
  t.after(() => mock.timers.reset())
  const { gw, proxy } = await start(t, { session: { idleTimeout: '10m' } })
  await get(gw, proxy, CAROL)
  const first = onlyAuthorization(gw)
  mock.timers.tick(6 * 60_000)
  assert.deepEqual(await get(gw, proxy, CAROL, '/api/v2/me'), [200, `Token ${first.token}`])
  mock.timers.tick(5 * 60_000)
  const [status, seen] = await get(gw, proxy, CAROL, '/api/v2/me')
  await revoked(gw, first)
  assert.deepEqual([status, seen], [200, `Token ${onlyAuthorization(gw).token}`], 'ten minutes after the last active request: ended')
})

test('a rule that mints other permissions, or no longer mints, ends the implicit session and deletes its token', async (t) => {
  const { gw, proxy } = await start(t)
  await get(gw, proxy, CAROL)
  const first = onlyAuthorization(gw)
  const config = gw.deps.config
  await gw.deps.applyConfig({ ...config, access: [{ group: 'analysts', mint: { ...MINT, permissions: ['read:buckets'] } }] })
  const [status, seen] = await get(gw, proxy, CAROL)
  await revoked(gw, first)
  const second = onlyAuthorization(gw)
  assert.deepEqual([status, seen], [200, `Token ${second.token}`], 'no 403 to sign in again: the proxy signs the user in')
  assert.deepEqual(second.permissions.map((p) => `${p.action}:${p.resource.type}`), ['read:buckets'])
  await gw.waitForLog((l) => l.audit === 'session' && l.reason === 'access rule changed' && l.source === 'proxy')

  const [viewer] = config.access.filter((r) => r.token !== undefined)
  assert.ok(viewer !== undefined)
  await gw.deps.applyConfig({ ...config, access: [{ ...viewer, group: 'analysts' }] })
  assert.deepEqual(await get(gw, proxy, CAROL), [200, 'Token test-token'])
  await revoked(gw, second)
  await gw.deps.applyConfig({ ...config, access: [{ group: 'analysts', mint: MINT }] })
  await get(gw, proxy, CAROL)
  const third = onlyAuthorization(gw)
  await gw.deps.applyConfig({ ...config, access: [] })
  assert.equal((await get(gw, proxy, CAROL))[0], 403)
  await revoked(gw, third)
  assert.equal(await gw.deps.sessions.count(), 0)
})

test('sign-out from a proxy identity ends its implicit sessions here and deletes their tokens; the next request mints anew', async (t) => {
  const { gw, proxy } = await start(t)
  const signin = await proxy(`${gw.url}/api/v2/signin`, { method: 'POST', headers: CAROL })
  assert.equal(signin.status, 204, 'the UI\'s sign-in through the proxy starts the implicit session')
  assert.equal(signin.headers.get('set-cookie'), null)
  assert.equal(live(gw).length, 1)
  await get(gw, proxy, CAROL)
  await get(gw, proxy, { ...CAROL, 'remote-groups': 'analysts' }) // other groups: another identity, another session
  await get(gw, proxy, DAVE)
  const [carols, carols2, daves] = live(gw)
  assert.ok(carols !== undefined && carols2 !== undefined && daves !== undefined)
  const out = await proxy(`${gw.url}/api/v2/signout`, { method: 'POST', headers: CAROL })
  assert.equal(out.status, 204)
  await revoked(gw, carols)
  await revoked(gw, carols2)
  assert.deepEqual(live(gw).map((a) => a.id), [daves.id], 'dave keeps his')
  const line = await gw.waitForLog((l) => l.audit === 'signout' && l.result === 'proxy identity')
  assert.equal(line.sessions, 2)
  assert.equal(gw.logs.filter((l) => l.audit === 'session' && l.reason === 'signed out' && l.user === 'carol').length, 2)
  const [status, seen] = await get(gw, proxy, CAROL)
  const fresh = live(gw).find((a) => a.id !== daves.id)
  assert.deepEqual([status, seen], [200, `Token ${fresh?.token ?? '-'}`])
})

test('InfluxDB unavailable at the first request: 503 as JSON, no session, no token; the next request mints', async (t) => {
  const { gw, proxy } = await start(t)
  gw.influx.failNext('POST', '/api/v2/authorizations', 1, 503)
  const before = gw.influx.requests.length
  const results = await Promise.all([1, 2, 3].map(() => proxy(`${gw.url}/api/v2/buckets`, { headers: CAROL })))
  for (const res of results) {
    assert.equal(res.status, 503)
    assert.equal(res.headers.get('x-platform-error-code'), 'unavailable')
    assert.deepEqual(await res.json(), { code: 'unavailable', message: 'InfluxDB could not create a token for this session; retry shortly' })
  }
  assert.equal(gw.influx.requests.slice(before).filter((r) => r.path === '/api/v2/buckets' && r.query.get('name') === null).length, 0,
    'nothing forwarded')
  assert.equal(mints(gw), 1, 'the concurrent first requests shared the one failed attempt')
  assert.equal(await gw.deps.sessions.count(), 0)
  assert.deepEqual(live(gw), [])
  const metrics = parsePrometheus(await (await fetch(`${gw.url}/gateway/metrics`)).text())
  assert.equal(sampleValue(metrics, 'influx_gateway_auth_proxy_requests_total', { outcome: 'mint_unavailable' }), 3)
  const [status, seen] = await get(gw, proxy, CAROL)
  assert.deepEqual([status, seen], [200, `Token ${onlyAuthorization(gw).token}`])
})

test('an operator token InfluxDB refuses to mint with: 403 with InfluxDB\'s reason, and no session', async (t) => {
  const gw = await startGateway(t, { config: { authProxy: AUTH_PROXY }, access: ACCESS, influx: INFLUX, operatorToken: 'test-token' })
  const proxy = fetchFrom(t, PROXY_ADDRESS)
  const res = await proxy(`${gw.url}/api/v2/buckets`, { headers: CAROL })
  assert.equal(res.status, 403)
  assert.match(((await res.json()) as { message: string }).message, /^InfluxDB refused to create a token for this session: .* is unauthorized$/)
  assert.equal(await gw.deps.sessions.count(), 0)
})

test('the orphan sweep leaves a live implicit session\'s token alone, and deletes it once the gateway stops', async (t) => {
  // Ten minutes ahead of InfluxDB's clock: the token is past the sweep's grace for young tokens at once.
  const gw = await startGateway(t, { config: { authProxy: AUTH_PROXY }, access: ACCESS, influx: INFLUX, now: () => Date.now() + 10 * 60_000 })
  const proxy = fetchFrom(t, PROXY_ADDRESS)
  await get(gw, proxy, CAROL)
  const auth = onlyAuthorization(gw)
  assert.equal(await gw.deps.minter.sweep((ids) => gw.deps.sessions.heldAuthorizations(ids)), 0)
  assert.deepEqual(await get(gw, proxy, CAROL), [200, `Token ${auth.token}`])
  await gw.deps.close()
  assert.deepEqual(live(gw), [], 'the in-process store\'s sessions die with the gateway, and their tokens')
})

test('past its bound the least recently used implicit session ends, and its token is deleted', async (t) => {
  const { gw } = await start(t)
  const spec = gw.deps.runtime().access.credentialFor({ name: 'carol', source: 'proxy', groups: ['analysts'] })?.mint
  assert.ok(spec !== undefined)
  const sessions = createImplicitSessions({ lifecycle: () => gw.deps.runtime(), minter: gw.deps.minter, maxEntries: 2 })
  const credential = (name: string): Promise<UpstreamCredential> =>
    sessions.credential({ name, source: 'proxy', groups: ['analysts'] }, spec, { renew: true, log: gw.deps.logger })
  const carol = await credential('carol')
  await credential('dave')
  assert.equal(await credential('carol'), carol, 'carol is now the most recently used')
  await credential('erin')
  const daves = live(gw).find((a) => a.description.endsWith(' of dave'))
  assert.ok(daves !== undefined)
  await revoked(gw, daves)
  await gw.waitForLog((l) => l.audit === 'session' && l.user === 'dave' && l.reason === 'implicit sessions over their bound')
  assert.equal(await credential('carol'), carol)
  assert.equal(live(gw).length, 2)
})

test('a reload that disables a file user of the same name leaves the proxy identity\'s implicit session and token alone', async (t) => {
  const users = [{ name: 'carol', password: 'correct horse battery staple', token: 'test-token' }]
  const gw = await startGateway(t, { users, config: { authProxy: AUTH_PROXY }, access: ACCESS, influx: INFLUX })
  const proxy = fetchFrom(t, PROXY_ADDRESS)
  await get(gw, proxy, CAROL)
  const first = onlyAuthorization(gw)
  const [carol] = gw.deps.config.users
  assert.ok(carol !== undefined)
  await gw.deps.applyConfig({ ...gw.deps.config, users: [{ ...carol, disabled: true }] })
  const [status, seen] = await get(gw, proxy, CAROL)
  // The file user carol and the auth proxy's carol are two identities: disabling one revokes nothing of the other's.
  assert.deepEqual([status, seen], [200, `Token ${first.token}`], 'the same minted token goes on')
  assert.equal(onlyAuthorization(gw).id, first.id, 'nothing was revoked or minted anew')
  assert.equal(gw.logs.filter((l) => l.audit === 'session' && l.source === 'proxy' && l.reason === 'revoked').length, 0)
})
