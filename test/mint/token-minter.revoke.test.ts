/**
 * Every way a session ends deletes its minted token in InfluxDB (src/mint/token-minter.ts, called from the
 * session store's end paths): sign-out, a new sign-in over it, the idle timeout (found by a request, at once, or
 * by the in-process sweeper), the user disabled or removed by a reload, their password changed, the rule no longer
 * matching, minting otherwise or giving a configured token instead. A token InfluxDB deleted stops working; a
 * failed delete is retried.
 */
import assert from 'node:assert/strict'
import { mock, test } from 'node:test'
import { hashPassword } from '../../src/auth/password.ts'
import type { StoredAuthorization } from '../helpers/fake-influx-tenancy.ts'
import { basic, signIn, startGateway, type TestGateway, type TestUser } from '../helpers/gateway.ts'
import { parsePrometheus, sampleValue } from '../helpers/prometheus.ts'

const MINT = { org: 'my-org', permissions: ['read:buckets', 'write:buckets/telemetry'] }
const ALICE: TestUser = { name: 'alice', password: 'correct horse battery staple', mint: MINT }
const INFLUX = { tenancy: { users: ['alice'], buckets: ['telemetry'] } }

/** The one live authorization. */
function onlyAuthorization (gw: TestGateway): StoredAuthorization {
  const [auth, ...more] = gw.influx.tenancy.authorizations()
  assert.ok(auth !== undefined && more.length === 0, 'exactly one minted token')
  return auth
}

/** Waits until InfluxDB has deleted `auth`, then checks its token no longer works there. */
async function revoked (gw: TestGateway, auth: StoredAuthorization): Promise<void> {
  await gw.influx.waitForRequest((r) => r.method === 'DELETE' && r.path === `/api/v2/authorizations/${auth.id}`)
  await gw.waitForLog((l) => l.result === 'revoked' && l.authorization === auth.id)
  assert.ok(!gw.influx.tenancy.authorizations().some((a) => a.id === auth.id))
  const res = await fetch(`${gw.influx.url}/api/v2/buckets`, { headers: { authorization: `Token ${auth.token}` } })
  assert.equal(res.status, 401, 'a deleted token is refused by InfluxDB')
}

const get = async (gw: TestGateway, cookie: string, path = '/api/v2/buckets'): Promise<number> =>
  (await fetch(`${gw.url}${path}`, { headers: { cookie } })).status

test('sign-out deletes the session\'s token (and only it), which then stops working', async (t) => {
  const gw = await startGateway(t, { users: [ALICE], influx: INFLUX })
  const cookie = await signIn(gw)
  const other = await signIn(gw)
  const [mine, theirs] = gw.influx.tenancy.authorizations()
  assert.ok(mine !== undefined && theirs !== undefined)
  const out = await fetch(`${gw.url}/api/v2/signout`, { method: 'POST', headers: { cookie } })
  assert.equal(out.status, 204)
  await revoked(gw, mine)
  assert.deepEqual(gw.influx.tenancy.authorizations().map((a) => a.id), [theirs.id])
  assert.equal(await get(gw, other), 200)
  const metrics = parsePrometheus(await (await fetch(`${gw.url}/gateway/metrics`)).text())
  assert.equal(sampleValue(metrics, 'influx_gateway_tokens_revoked_total'), 1)
})

test('a new sign-in over a presented session deletes the old session\'s token', async (t) => {
  const gw = await startGateway(t, { users: [ALICE], influx: INFLUX })
  const cookie = await signIn(gw)
  const old = onlyAuthorization(gw)
  const res = await fetch(`${gw.url}/api/v2/signin`, { method: 'POST', headers: { cookie, authorization: basic(ALICE.name, ALICE.password) } })
  assert.equal(res.status, 204)
  await revoked(gw, old)
  assert.equal(gw.influx.tenancy.authorizations().length, 1)
})

test('a request that finds its session expired deletes the token then and there, not only the sweeper', async (t) => {
  // The fake clock moves (setTime fires no timer) and the in-process store's expiry sweepers, on
  // setInterval, never run: only the request that presents the expired session can end it.
  mock.timers.enable({ apis: ['Date', 'setInterval'], now: Date.now() })
  t.after(() => mock.timers.reset())
  const gw = await startGateway(t, { users: [ALICE], influx: INFLUX, config: { session: { idleTimeout: '10m' } } })
  const cookie = await signIn(gw)
  const auth = onlyAuthorization(gw)
  mock.timers.setTime(Date.now() + 10 * 60_000 + 1)
  assert.equal(await get(gw, cookie), 401)
  await revoked(gw, auth)
  assert.equal(gw.logs.filter((l) => l.audit === 'token' && l.result === 'revoked').length, 1)
})

test('a session never used again: the in-process sweeper finds it expired and deletes its token', async (t) => {
  mock.timers.enable({ apis: ['Date'], now: Date.now() })
  t.after(() => mock.timers.reset())
  const gw = await startGateway(t, { users: [ALICE], influx: INFLUX, config: { session: { idleTimeout: '10m' } } })
  await signIn(gw) // never used again: the sweeper (every second, real time) finds it expired
  const auth = onlyAuthorization(gw)
  mock.timers.tick(10 * 60_000 + 1)
  await revoked(gw, auth)
})

test('a reload that disables or removes the user deletes their tokens at once, without waiting for a request', async (t) => {
  const gw = await startGateway(t, { users: [ALICE, { ...ALICE, name: 'bob' }], influx: INFLUX })
  await signIn(gw)
  await signIn(gw, 'bob', ALICE.password)
  const [alices, bobs] = gw.influx.tenancy.authorizations()
  assert.ok(alices !== undefined && bobs !== undefined)
  const [alice, bob] = gw.deps.config.users as [typeof gw.deps.config.users[number], typeof gw.deps.config.users[number]]
  await gw.deps.applyConfig({ ...gw.deps.config, users: [{ ...alice, disabled: true }, bob] })
  await revoked(gw, alices)
  await gw.deps.applyConfig({ ...gw.deps.config, users: [{ ...alice, disabled: true }] })
  await revoked(gw, bobs)
})

test('a changed password ends the session and deletes its token at the next request', async (t) => {
  const gw = await startGateway(t, { users: [ALICE], influx: INFLUX })
  const cookie = await signIn(gw)
  const auth = onlyAuthorization(gw)
  const [alice] = gw.deps.config.users as [typeof gw.deps.config.users[number]]
  const passwordHash = await hashPassword('a brand new password', { ln: 10, r: 8, p: 1 })
  await gw.deps.applyConfig({ ...gw.deps.config, users: [{ ...alice, passwordHash }] })
  assert.equal(await get(gw, cookie), 401)
  await revoked(gw, auth)
})

test('a rule that no longer matches, or now mints other permissions, ends the session and deletes its token', async (t) => {
  const rule = { group: 'analysts', mint: MINT }
  const gw = await startGateway(t, { users: [{ name: 'alice', password: ALICE.password, groups: ['analysts'] }], access: [rule], influx: INFLUX })
  const cookie = await signIn(gw)
  const first = onlyAuthorization(gw)
  assert.equal(await get(gw, cookie), 200)
  assert.equal(gw.influx.last()?.headers.authorization, `Token ${first.token}`)
  const config = gw.deps.config
  await gw.deps.applyConfig({ ...config, access: [{ group: 'analysts', mint: { ...MINT, permissions: ['read:buckets'] } }] })
  assert.equal(await get(gw, cookie), 403, 'User is inactive: the UI signs out, and the user signs in again')
  await revoked(gw, first)
  await gw.waitForLog((l) => l.audit === 'session' && l.reason === 'access rule changed')

  const again = await signIn(gw)
  const second = onlyAuthorization(gw)
  assert.deepEqual(second.permissions.map((p) => `${p.action}:${p.resource.type}`), ['read:buckets'])
  await gw.deps.applyConfig({ ...config, access: [{ group: 'others', mint: MINT }] })
  assert.equal(await get(gw, again), 403)
  await revoked(gw, second)
})

test('a rule that now gives a configured token instead of minting ends the session: its minted token is not left alive', async (t) => {
  const gw = await startGateway(t, { users: [{ name: 'alice', password: ALICE.password, groups: ['analysts'] }], access: [{ group: 'analysts', mint: MINT }], influx: INFLUX })
  const cookie = await signIn(gw)
  const auth = onlyAuthorization(gw)
  await gw.deps.applyConfig({ ...gw.deps.config, access: [{ group: 'analysts', token: 'test-token' }] })
  assert.equal(await get(gw, cookie), 403)
  await revoked(gw, auth)
  await gw.waitForLog((l) => l.audit === 'session' && l.reason === 'access rule changed')
})

test('InfluxDB failing at revocation: sign-out still answers at once, the delete is retried with back-off and logged', async (t) => {
  const gw = await startGateway(t, { users: [ALICE], influx: INFLUX })
  const cookie = await signIn(gw)
  const auth = onlyAuthorization(gw)
  gw.influx.failNext('DELETE', '/api/v2/authorizations/', 2, 503)
  const out = await fetch(`${gw.url}/api/v2/signout`, { method: 'POST', headers: { cookie } })
  assert.equal(out.status, 204)
  await revoked(gw, auth)
  const deletes = gw.influx.requests.filter((r) => r.method === 'DELETE')
  assert.equal(deletes.length, 3, 'two failures, then the retry that worked')
  const failures = gw.logs.filter((l) => l.result === 'revoke failed')
  assert.equal(failures.length, 2)
  assert.equal(failures[0]?.then, 'retrying')
  const metrics = parsePrometheus(await (await fetch(`${gw.url}/gateway/metrics`)).text())
  assert.equal(sampleValue(metrics, 'influx_gateway_token_revoke_failures_total'), 2)
  assert.equal(sampleValue(metrics, 'influx_gateway_tokens_revoked_total'), 1)
})
