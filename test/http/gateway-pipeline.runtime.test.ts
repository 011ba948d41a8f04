/**
 * Each request reads the gateway's runtime (one configuration's) once, at its start, and uses it to its
 * end: a reload that lands while a request awaits does not change what that request uses, and what the
 * gateway learns of InfluxDB builds the next runtime.
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import { recordSecret } from '../helpers/secret-ledger.ts'
import { startFakeInflux } from '../helpers/fake-influx.ts'
import { ALICE, signIn, startGateway, type TestGateway, type TestUser } from '../helpers/gateway.ts'

const OPS: TestUser = { name: 'olga', password: 'olga password for the ops group', groups: ['ops'] }
const BEFORE = 'ops-token-before-0001'
const AFTER = 'ops-token-after-00002'
recordSecret(AFTER, 'token')

test('a request that awaits across a reload uses the configuration it started under; the next one the new', async (t) => {
  const gw = await startGateway(t, { users: [OPS], access: [{ group: 'ops', token: BEFORE }], influx: { tokens: [BEFORE, AFTER] } })
  const cookie = await signIn(gw, OPS.name, OPS.password)
  const held = await heldAtLookup(gw, cookie)
  await gw.deps.applyConfig({ ...gw.deps.config, access: [{ group: 'ops', token: AFTER }] })
  assert.equal((await held.release()).status, 200)
  assert.equal(gw.influx.last()?.headers.authorization, `Token ${BEFORE}`, 'the access rule of its start')

  assert.equal((await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })).status, 200)
  assert.equal(gw.influx.last()?.headers.authorization, `Token ${AFTER}`, 'the reloaded rule')
})

test('a learned upstream version builds the next runtime; requests under it answer v1 routes in 1.x\'s dialect', async (t) => {
  const ping = await heldPing(t, '1.6.7')
  const gw = await startGateway(t)
  await gw.deps.applyConfig({ ...gw.deps.config, upstream: { ...gw.deps.config.upstream, url: ping.url, version: 'auto' } })
  const unknown = gw.deps.runtime()
  const before = await fetch(`${gw.url}/query?q=SHOW+DATABASES`)
  assert.equal(before.status, 401)
  assert.equal(typeof (await before.json() as { code?: string }).code, 'string', 'unknown yet: 2.x\'s dialect')

  ping.answer()
  assert.equal(await gw.deps.upstreamVersion.probe(), 1)
  assert.notEqual(gw.deps.runtime(), unknown, 'swapped')
  assert.equal(unknown.upstreamVersion.major(), undefined, 'the old runtime keeps what it knew')
  const after = await fetch(`${gw.url}/query?q=SHOW+DATABASES`)
  assert.equal(after.status, 401)
  assert.equal(typeof (await after.json() as { error?: string }).error, 'string', '1.x\'s dialect')
})

test('a request under way when a reload moves the upstream is still answered, by the new one', async (t) => {
  const gw = await startGateway(t)
  const next = await startFakeInflux()
  t.after(() => next.close())
  const cookie = await signIn(gw)
  const held = await heldAtLookup(gw, cookie)
  await gw.deps.applyConfig({ ...gw.deps.config, upstream: { ...gw.deps.config.upstream, url: next.url } })
  assert.equal((await held.release()).status, 200)
  assert.equal(next.last()?.headers.authorization, `Token ${ALICE.token ?? ''}`)
})

/**
 * A cookie request started and held at its session lookup (in the store, not the in-process cache) until
 * `release()`, which resolves with its answer.
 */
async function heldAtLookup (gw: TestGateway, cookie: string): Promise<{ release: () => Promise<Response> }> {
  const sessions = gw.deps.sessions
  let arrived!: () => void
  let release!: () => void
  const atLookup = new Promise<void>((resolve) => { arrived = resolve })
  const released = new Promise<void>((resolve) => { release = resolve })
  gw.deps.replace({
    sessions: Object.assign(Object.create(sessions) as typeof sessions, {
      peek: () => undefined,
      get: async (...args: Parameters<typeof sessions.get>) => {
        arrived()
        await released
        return await sessions.get(...args)
      }
    })
  })
  const answer = fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })
  await atLookup
  gw.deps.replace({ sessions })
  return { release: async () => { release(); return await answer } }
}

/** A `/ping` that answers `version` only once `answer()` is called. */
async function heldPing (t: TestContext, version: string): Promise<{ url: string, answer: () => void }> {
  let answer!: () => void
  const answered = new Promise<void>((resolve) => { answer = resolve })
  const server = createServer((req, res) => {
    answered.then(() => res.writeHead(204, { 'X-Influxdb-Version': version }).end(), () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, answer }
}
