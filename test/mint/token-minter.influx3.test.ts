/**
 * `mint: {}` under an InfluxDB 3 rule (src/mint/influx3-backend.ts through the one minter,
 * src/mint/token-minter.ts), against the InfluxDB 3 double: on Enterprise a resource token of exactly the
 * rule's databases (globs expanded over the existing ones), on Core a named admin token; each named after the
 * gateway's marker and the session's ref, expiring with the session's absolute timeout, the only credential
 * that goes upstream, deleted when the session ends, swept when orphaned.
 */
import assert from 'node:assert/strict'
import { mock, test, type TestContext } from 'node:test'
import { hashSessionId, sessionRef } from '../../src/session/session-id.ts'
import { INFLUX3_OPERATOR_TOKEN, startFakeInflux3, type FakeInflux3, type FakeInflux3Options } from '../helpers/fake-influx3.ts'
import type { Influx3Token } from '../helpers/fake-influx3-tokens.ts'
import { basic, signIn, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { fetchFrom, PROXY_ADDRESS } from '../helpers/peer.ts'
import { parsePrometheus, sampleValue } from '../helpers/prometheus.ts'

const ALICE = { name: 'alice', password: 'correct horse battery staple', groups: ['analysts'] }
const RULE = { group: 'analysts', mint: {}, databases: { read: ['telemetry', 'lab_*'], write: ['telemetry'] } }
const MARKER = 'influx-gateway (memory) session '

interface Setup { gw: TestGateway, influx3: FakeInflux3 }

async function start (t: TestContext, influx3Opts: FakeInflux3Options, opts: { operatorToken?: string, rule?: Record<string, unknown> } = {}): Promise<Setup> {
  const influx3 = await startFakeInflux3({ databases: ['telemetry', 'lab_1', 'lab_2', 'secret'], now: () => Date.now(), ...influx3Opts })
  t.after(() => influx3.close())
  const gw = await startGateway(t, {
    upstreamUrl: influx3.url,
    users: [ALICE],
    operatorToken: opts.operatorToken ?? INFLUX3_OPERATOR_TOKEN,
    config: { upstream: { version: 3 }, session: { absoluteTimeout: '2h', idleTimeout: '10m' } },
    access: [opts.rule ?? RULE]
  })
  return { gw, influx3 }
}

/** The gateway's tokens in the double. */
const minted = (influx3: FakeInflux3): Influx3Token[] => influx3.tokens().filter((x) => x.name.startsWith(MARKER))

function onlyMinted (influx3: FakeInflux3): Influx3Token {
  const [token, ...more] = minted(influx3)
  assert.ok(token !== undefined && more.length === 0, 'exactly one minted token')
  return token
}

/** Waits until the double has deleted `token`, and checks InfluxDB then refuses it. */
async function deleted (s: Setup, token: Influx3Token): Promise<void> {
  await s.influx3.waitForRequest((r) => r.method === 'DELETE' && r.query.get('token_name') === token.name)
  await s.gw.waitForLog((l) => l.audit === 'token' && l.result === 'revoked' && l.authorization === token.name)
  assert.ok(!s.influx3.tokens().some((x) => x.name === token.name))
  const res = await fetch(`${s.influx3.url}/api/v3/query_sql?db=telemetry&q=SELECT%201`, { headers: { authorization: `Bearer ${token.secret}` } })
  assert.equal(res.status, 401, 'a deleted token is refused by InfluxDB 3')
}

test('Enterprise: sign-in mints a resource token of exactly the rule\'s databases, globs expanded, expiring with the session', async (t) => {
  const s = await start(t, { build: 'Enterprise' })
  const cookie = await signIn(s.gw, ALICE.name, ALICE.password)
  const token = onlyMinted(s.influx3)
  const ref = sessionRef(`x:session:${hashSessionId(cookie.slice(cookie.indexOf('=') + 1))}`)
  assert.equal(token.name, `${MARKER}${ref} of alice`)
  assert.deepEqual(token.permissions, [
    { resource_type: 'db', resource_names: ['lab_1', 'lab_2'], actions: ['read'] },
    { resource_type: 'db', resource_names: ['telemetry'], actions: ['read', 'write'] }
  ], 'lab_* became the existing lab databases; secret and _internal are not in it')
  assert.equal(token.expiry, token.createdAt + 2 * 3600_000, 'expiry_secs is the session\'s absolute timeout')
  const post = s.influx3.requests.find((r) => r.path === '/api/v3/enterprise/configure/token')
  assert.equal(post?.headers.authorization, `Bearer ${INFLUX3_OPERATOR_TOKEN}`)
  const write = await fetch(`${s.gw.url}/api/v3/write_lp?db=telemetry`, { method: 'POST', headers: { cookie }, body: 'cpu v=1' })
  assert.equal(write.status, 204)
  assert.equal(s.influx3.lineProtocol('telemetry'), 'cpu v=1')
  assert.deepEqual([s.influx3.last()?.tokenName, s.influx3.last()?.headers.authorization], [token.name, `Token ${token.secret}`])
  const query = await fetch(`${s.gw.url}/api/v3/query_sql?db=lab_2&q=SELECT%201`, { headers: { cookie } })
  assert.equal(query.status, 200)
  assert.equal(s.influx3.last()?.tokenName, token.name, 'the query went with the session\'s token, not the operator\'s')
  await s.gw.waitForLog((l) => l.audit === 'token' && l.result === 'minted' && l.authorization === token.name && l.user === 'alice')
  const metrics = parsePrometheus(await (await fetch(`${s.gw.url}/gateway/metrics`)).text())
  assert.equal(sampleValue(metrics, 'influx_gateway_tokens_minted_total'), 1)
  assert.ok(!s.gw.logText().includes(token.secret), 'the minted token is never logged')
})

test('a database created after sign-in: the gateway\'s rule lets the write through, the session\'s token does not', async (t) => {
  const s = await start(t, { build: 'Enterprise' })
  const cookie = await signIn(s.gw, ALICE.name, ALICE.password)
  const op = { authorization: `Bearer ${INFLUX3_OPERATOR_TOKEN}`, 'content-type': 'application/json' }
  await fetch(`${s.influx3.url}/api/v3/configure/database`, { method: 'POST', headers: op, body: JSON.stringify({ db: 'lab_3' }) })
  const late = await fetch(`${s.gw.url}/api/v3/query_sql?db=lab_3&q=SELECT%201`, { headers: { cookie } })
  assert.equal(late.status, 403, 'InfluxDB 3 refuses: the token holds the databases that existed at sign-in')
  const again = await signIn(s.gw, ALICE.name, ALICE.password)
  assert.equal((await fetch(`${s.gw.url}/api/v3/query_sql?db=lab_3&q=SELECT%201`, { headers: { cookie: again } })).status, 200)
})

test('Core: sign-in mints a named admin token per session; the gateway\'s rules do the limiting', async (t) => {
  const s = await start(t, { build: 'Core' })
  const cookie = await signIn(s.gw, ALICE.name, ALICE.password)
  await signIn(s.gw, ALICE.name, ALICE.password)
  const [first, second] = minted(s.influx3)
  assert.ok(first !== undefined && second !== undefined && first.name !== second.name, 'a token per session')
  assert.equal(first.permissions, 'admin')
  assert.equal(first.expiry, first.createdAt + 2 * 3600_000)
  assert.ok(s.influx3.requests.some((r) => r.path === '/api/v3/configure/token/named_admin'))
  const before = s.influx3.requests.length
  const refused = await fetch(`${s.gw.url}/api/v3/write_lp?db=secret`, { method: 'POST', headers: { cookie }, body: 'cpu v=1' })
  assert.deepEqual([refused.status, s.influx3.requests.length - before], [403, 0], 'the rule refuses what the admin token could do')
  const write = await fetch(`${s.gw.url}/api/v3/write_lp?db=telemetry`, { method: 'POST', headers: { cookie }, body: 'cpu v=1' })
  assert.equal(write.status, 204)
  assert.equal(s.influx3.last()?.tokenName, first.name)
  // SECURITY: an admin token could regenerate the operator's token or drop databases: it never reaches a client.
  const query = await fetch(`${s.gw.url}/api/v3/query_sql?db=telemetry&q=SELECT%201`, { headers: { cookie } })
  const seen = [...write.headers.values(), ...query.headers.values(), await query.text()].join('\n')
  for (const secret of [first.secret, second.secret]) {
    assert.ok(!seen.includes(secret) && !s.gw.logText().includes(secret), 'the admin token is neither answered nor logged')
  }
})

test('sign-out deletes the session\'s token, and only it', async (t) => {
  const s = await start(t, { build: 'Enterprise' })
  const cookie = await signIn(s.gw, ALICE.name, ALICE.password)
  const mine = onlyMinted(s.influx3)
  const other = await signIn(s.gw, ALICE.name, ALICE.password)
  assert.equal((await fetch(`${s.gw.url}/api/v2/signout`, { method: 'POST', headers: { cookie } })).status, 204)
  await deleted(s, mine)
  assert.equal(minted(s.influx3).length, 1)
  assert.equal((await fetch(`${s.gw.url}/api/v3/query_sql?db=telemetry&q=SELECT%201`, { headers: { cookie: other } })).status, 200)
  assert.equal(s.influx3.operatorToken(), INFLUX3_OPERATOR_TOKEN)
})

test('the idle timeout deletes the session\'s token', async (t) => {
  mock.timers.enable({ apis: ['Date', 'setInterval'], now: Date.now() })
  t.after(() => mock.timers.reset())
  const s = await start(t, { build: 'Enterprise' })
  const cookie = await signIn(s.gw, ALICE.name, ALICE.password)
  const token = onlyMinted(s.influx3)
  mock.timers.setTime(Date.now() + 10 * 60_000 + 1)
  assert.equal((await fetch(`${s.gw.url}/api/v3/query_sql?db=telemetry&q=SELECT%201`, { headers: { cookie } })).status, 401)
  await deleted(s, token)
})

test('InfluxDB 3 refusing the operator token: sign-in 403 with its reason, no session; unreachable: 503', async (t) => {
  const s = await start(t, { build: 'Enterprise' }, { operatorToken: 'apiv3_not-a-token-influxdb-knows' })
  const res = await fetch(`${s.gw.url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic(ALICE.name, ALICE.password) } })
  assert.equal(res.status, 403)
  assert.deepEqual(await res.json(), { code: 'forbidden', message: 'InfluxDB refused to create a token for this session: the request was not authenticated' })
  assert.equal(res.headers.get('set-cookie'), null)
  assert.equal(await s.gw.deps.sessions.count(), 0)
  const down = await startGateway(t, {
    upstreamUrl: 'http://127.0.0.1:9',
    users: [ALICE],
    operatorToken: INFLUX3_OPERATOR_TOKEN,
    config: { upstream: { version: 3 } },
    access: [RULE]
  })
  const unreachable = await fetch(`${down.url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic(ALICE.name, ALICE.password) } })
  assert.equal(unreachable.status, 503)
  assert.equal(await down.deps.sessions.count(), 0)
  const metrics = parsePrometheus(await (await fetch(`${s.gw.url}/gateway/metrics`)).text())
  assert.equal(sampleValue(metrics, 'influx_gateway_signins_total', { outcome: 'mint_refused' }), 1)
})

test('Enterprise: a rule whose databases match none that exists is refused at sign-in, and nothing is minted', async (t) => {
  const s = await start(t, { build: 'Enterprise' }, { rule: { ...RULE, databases: { read: ['archive_*'] } } })
  const res = await fetch(`${s.gw.url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic(ALICE.name, ALICE.password) } })
  assert.equal(res.status, 403)
  assert.match((await res.json() as { message: string }).message, /no existing database matches the rule's databases/)
  assert.deepEqual(minted(s.influx3), [])
})

test('the sweep deletes an orphan carrying the marker and what check-config left, and leaves _admin, a foreign token and a young one', async (t) => {
  let clock = Date.now()
  const influx3 = await startFakeInflux3({ build: 'Enterprise', databases: ['telemetry'], now: () => clock })
  t.after(() => influx3.close())
  const op = { authorization: `Bearer ${INFLUX3_OPERATOR_TOKEN}`, 'content-type': 'application/json' }
  const named = async (name: string): Promise<void> => {
    const res = await fetch(`${influx3.url}/api/v3/configure/token/named_admin`, { method: 'POST', headers: op, body: JSON.stringify({ token_name: name }) })
    assert.equal(res.status, 201)
  }
  await named(`${MARKER}AAAAAAAAAAAA of alice`) // a crashed gateway's
  await named('telegraf')
  await named('influx-gateway (prod:) session BBBBBBBBBBBB of bob') // another gateway's
  await named('influx-gateway (check-config) session check Ab3_-x9Z') // a check whose delete failed
  await named('influx-gateway (check-config) session check of telegraf')
  clock += 2 * 60_000 + 1
  await named(`${MARKER}CCCCCCCCCCCC of carol`) // a replica may be storing it right now
  const gw = await startGateway(t, {
    upstreamUrl: influx3.url, users: [ALICE], operatorToken: INFLUX3_OPERATOR_TOKEN, config: { upstream: { version: 'auto' } }, access: [RULE], now: () => clock
  })
  // With version auto, the sweep at start waits for /ping to say InfluxDB 3, then lists its tokens.
  await gw.waitForLog((l) => l.msg === 'orphaned minted tokens deleted' && l.swept === 2)
  await gw.waitForLog((l) => l.result === 'orphan' && l.session === 'AAAAAAAAAAAA')
  await gw.waitForLog((l) => l.result === 'revoked' && l.authorization === 'influx-gateway (check-config) session check Ab3_-x9Z')
  assert.deepEqual(influx3.tokens().map((x) => x.name).sort(), [
    '_admin', 'influx-gateway (check-config) session check of telegraf', `${MARKER}CCCCCCCCCCCC of carol`,
    'influx-gateway (prod:) session BBBBBBBBBBBB of bob', 'telegraf'
  ])
  assert.ok(influx3.requests.some((r) => r.path === '/api/v3/query_sql' && r.tokenName === '_admin'), 'listed through system.tokens')
  const metrics = parsePrometheus(await (await fetch(`${gw.url}/gateway/metrics`)).text())
  assert.equal(sampleValue(metrics, 'influx_gateway_tokens_orphaned_total'), 1)
})

test('a forged session record naming _admin or a foreign token deletes nothing', async (t) => {
  const s = await start(t, { build: 'Core' })
  await signIn(s.gw, ALICE.name, ALICE.password)
  await fetch(`${s.influx3.url}/api/v3/configure/token/named_admin`, {
    method: 'POST', headers: { authorization: `Bearer ${INFLUX3_OPERATOR_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ token_name: 'telegraf' })
  })
  for (const name of ['_admin', 'telegraf']) s.gw.deps.minter.revoke(name, 'AAAAAAAAAAAA', 'session ended')
  for (const name of ['_admin', 'telegraf']) await s.gw.waitForLog((l) => l.result === 'not revoked' && l.authorization === name)
  assert.ok(!s.gw.logs.some((l) => l.result === 'revoked'), 'neither is reported deleted')
  assert.ok(!s.influx3.requests.some((r) => r.method === 'DELETE'), 'no delete reached InfluxDB 3')
  assert.equal(s.influx3.operatorToken(), INFLUX3_OPERATOR_TOKEN)
})

test('an auth-proxy identity gets an implicit session holding its own resource token, minted once', async (t) => {
  const influx3 = await startFakeInflux3({ build: 'Enterprise', databases: ['telemetry', 'lab_1'] })
  t.after(() => influx3.close())
  const authProxy = { userHeader: 'Remote-User', groupsHeader: 'Remote-Groups', trustedProxies: [`${PROXY_ADDRESS}/32`] }
  const gw = await startGateway(t, {
    upstreamUrl: influx3.url, users: [], operatorToken: INFLUX3_OPERATOR_TOKEN, config: { upstream: { version: 3 }, authProxy }, access: [RULE]
  })
  const proxy = fetchFrom(t, PROXY_ADDRESS)
  const headers = { 'remote-user': 'carol', 'remote-groups': 'analysts' }
  for (let i = 0; i < 2; i++) {
    const res = await proxy(`${gw.url}/api/v3/query_sql?db=telemetry&q=SELECT%201`, { headers })
    assert.equal(res.status, 200)
    await res.arrayBuffer()
  }
  const token = onlyMinted(influx3)
  assert.match(token.name, / of carol$/)
  assert.equal(influx3.last()?.tokenName, token.name)
})

test('a gateway with the in-process store deletes its sessions\' InfluxDB 3 tokens when it stops, and no other', async (t) => {
  const s = await start(t, { build: 'Enterprise' })
  await signIn(s.gw, ALICE.name, ALICE.password)
  await signIn(s.gw, ALICE.name, ALICE.password)
  assert.equal(minted(s.influx3).length, 2)
  await s.gw.deps.close()
  assert.deepEqual(s.influx3.tokens().map((x) => x.name), ['_admin'])
})
