/**
 * The orphan sweep (src/mint/token-minter.ts, run by src/deps/token-minting.ts at start and periodically):
 * the gateway's own tokens that no live session holds are deleted (after a crash, a restart of the in-process
 * store); young ones and every other authorization are never touched. A gateway with the in-process store
 * deletes its tokens when it stops: its sessions die with it.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createAuthorizationDirectly } from '../helpers/fake-influx-tenancy.ts'
import { signIn, startGateway, type TestUser } from '../helpers/gateway.ts'
import { parsePrometheus, sampleValue } from '../helpers/prometheus.ts'

const MINT = { org: 'my-org', permissions: ['read:buckets'] }
const ALICE: TestUser = { name: 'alice', password: 'correct horse battery staple', mint: MINT }
const LATER = 10 * 60_000

test('after a restart, the sweep at start deletes the tokens no session holds, and nothing else', async (t) => {
  const crashed = await startGateway(t, { users: [ALICE] })
  const influx = crashed.influx
  await signIn(crashed) // this gateway's sessions are lost with it (as after a crash)
  const [orphan] = influx.tenancy.authorizations()
  assert.ok(orphan !== undefined)
  const foreign = await createAuthorizationDirectly(influx, 'telegraf on host-1')
  const otherGateway = await createAuthorizationDirectly(influx, 'influx-gateway (prod:) session AAAAAAAAAAAA of bob')
  // The restarted gateway: a fresh in-process store, ten minutes on (past the sweep's grace for young tokens).
  const restarted = await startGateway(t, {
    users: [ALICE], upstreamUrl: influx.url, operatorToken: influx.tenancy.operatorToken, now: () => Date.now() + LATER
  })
  await influx.waitForRequest((r) => r.method === 'DELETE' && r.path === `/api/v2/authorizations/${orphan.id}`)
  await restarted.waitForLog((l) => l.result === 'orphan' && l.authorization === orphan.id)
  await restarted.waitForLog((l) => l.msg === 'orphaned minted tokens deleted' && l.swept === 1)
  assert.deepEqual(influx.tenancy.authorizations().map((a) => a.id).sort(), [foreign, otherGateway].sort())
  const metrics = parsePrometheus(await (await fetch(`${restarted.url}/gateway/metrics`)).text())
  assert.equal(sampleValue(metrics, 'influx_gateway_tokens_orphaned_total'), 1)
  // A session of the restarted gateway is live: the periodic sweep leaves its token alone.
  const cookie = await signIn(restarted)
  assert.equal(influx.tenancy.authorizations().length, 3)
  assert.equal(await restarted.deps.minter.sweep((ids) => restarted.deps.sessions.heldAuthorizations(ids)), 0)
  assert.equal((await fetch(`${restarted.url}/api/v2/buckets`, { headers: { cookie } })).status, 200)
})

test('a token minted moments ago is not swept, even without a session here: another replica may be storing it', async (t) => {
  const gw = await startGateway(t, { users: [ALICE] })
  await createAuthorizationDirectly(gw.influx, 'influx-gateway (memory) session BBBBBBBBBBBB of alice')
  assert.equal(await gw.deps.minter.sweep(async () => new Set()), 0)
  assert.equal(gw.influx.tenancy.authorizations().length, 1)
})

test('a gateway with the in-process store deletes its tokens when it stops', async (t) => {
  const gw = await startGateway(t, { users: [ALICE] })
  await signIn(gw)
  await signIn(gw)
  const foreign = await createAuthorizationDirectly(gw.influx, 'ci token')
  assert.equal(gw.influx.tenancy.authorizations().length, 3)
  await gw.deps.close()
  assert.deepEqual(gw.influx.tenancy.authorizations().map((a) => a.id), [foreign])
})

test('a stopping gateway deletes only its own sessions\' tokens, not those of the gateway taking over (a rolling restart)', async (t) => {
  const old = await startGateway(t, { users: [ALICE] })
  const influx = old.influx
  await signIn(old)
  const [oldToken] = influx.tenancy.authorizations()
  assert.ok(oldToken !== undefined)
  const successor = await startGateway(t, { users: [ALICE], upstreamUrl: influx.url, operatorToken: influx.tenancy.operatorToken })
  const cookie = await signIn(successor)
  const newToken = influx.tenancy.authorizations().find((a) => a.id !== oldToken.id)
  assert.ok(newToken !== undefined)
  await old.deps.close()
  assert.deepEqual(influx.tenancy.authorizations().map((a) => a.id), [newToken.id])
  assert.equal((await fetch(`${successor.url}/api/v2/buckets`, { headers: { cookie } })).status, 200)
})

test('a gateway stopping while a sweep is under way still deletes its sessions\' tokens', async (t) => {
  const gw = await startGateway(t, { users: [ALICE] })
  await signIn(gw)
  const [auth] = gw.influx.tenancy.authorizations()
  assert.ok(auth !== undefined)
  await gw.deps.minter.sweep(async () => new Set([auth.id])) // the start's sweep is over
  // A periodic sweep, stuck in the store (as with Redis slow to answer).
  let answer: ((held: Set<string>) => void) | undefined
  await new Promise<void>((resolve) => {
    const stuck = (): Promise<Set<string>> => new Promise((_resolve) => { answer = _resolve; resolve() })
    gw.deps.minter.sweep(stuck).catch(() => {})
  })
  await gw.deps.close()
  assert.deepEqual(gw.influx.tenancy.authorizations(), [])
  answer?.(new Set([auth.id]))
})
