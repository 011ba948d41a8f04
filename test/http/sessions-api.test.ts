/**
 * `<gatewayPrefix>/api/sessions` (src/http/sessions-api.ts): a user sees and ends their own sessions, a
 * gateway administrator (or the administrators' API token) anyone's; refusals are 403 and audited.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ALICE, basic, signIn, startGateway, type TestGateway, type TestUser } from '../helpers/gateway.ts'
import { parsePrometheus, sampleValue } from '../helpers/prometheus.ts'
import { fetchFrom, PROXY_ADDRESS } from '../helpers/peer.ts'

const BOB: TestUser = { name: 'bob', password: 'bob password 12345', token: 'bob-token-123456' }
const ROOT: TestUser = { name: 'root', password: 'root password 12345', token: 'root-token-123456' }
const OPS: TestUser = { name: 'olga', password: 'olga password 12345', groups: ['gw-admins'] }
const ACCESS = [{ group: 'gw-admins', token: 'ops-rule-token-123456' }]
const ADMIN_TOKEN = 'admin-api-token-0123456789abcdefghijklmnop'
const ADMINS = { gatewayAdmins: { users: ['root'], groups: ['gw-admins'] } }

interface Listed { ref: string, user: string, source: string, created: string, lastUsed: string, expires: string, address: string | null, userAgent: string | null, current: boolean }

async function start (t: Parameters<typeof startGateway>[0], users = [ALICE, BOB, ROOT, OPS]): Promise<TestGateway> {
  return await startGateway(t, { users, config: ADMINS, access: ACCESS, adminApiToken: ADMIN_TOKEN })
}

async function signInAs (gw: TestGateway, user: TestUser, userAgent?: string): Promise<string> {
  if (userAgent === undefined) return await signIn(gw, user.name, user.password)
  const res = await fetch(`${gw.url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic(user.name, user.password), 'user-agent': userAgent } })
  assert.equal(res.status, 204)
  return (res.headers.get('set-cookie') ?? '').split(';')[0] as string
}

async function list (gw: TestGateway, headers: Record<string, string>, query = ''): Promise<Listed[]> {
  const res = await fetch(`${gw.url}/gateway/api/sessions${query}`, { headers })
  assert.equal(res.status, 200, await res.clone().text())
  assert.equal(res.headers.get('cache-control'), 'no-store')
  return (await res.json() as { sessions: Listed[] }).sessions
}

const api = (gw: TestGateway, path: string, init: RequestInit): Promise<Response> => fetch(`${gw.url}/gateway/api/sessions${path}`, init)

test('a user lists their own sessions: ref, times, address, browser, which one is current; never another user\'s', async (t) => {
  const gw = await start(t)
  const firefox = await signInAs(gw, ALICE, 'Mozilla/5.0 Firefox/140')
  await signInAs(gw, ALICE, `Chromium/140 ${'x'.repeat(400)}\t`)
  await signInAs(gw, BOB)
  const sessions = await list(gw, { cookie: firefox })
  assert.deepEqual(sessions.map((s) => [s.user, s.source, s.current]), [['alice', 'file', true], ['alice', 'file', false]])
  const [mine, other] = sessions as [Listed, Listed]
  assert.equal(mine.userAgent, 'Mozilla/5.0 Firefox/140')
  assert.equal(other.userAgent?.length, 256, 'a User-Agent is cut to 256 characters, control characters removed')
  assert.ok(!(other.userAgent ?? '').includes('\t'))
  assert.equal(mine.address, '127.0.0.1')
  assert.match(mine.ref, /^[A-Za-z0-9_-]{12}$/)
  assert.ok(Date.parse(mine.lastUsed) >= Date.parse(mine.created) && Date.parse(mine.expires) > Date.parse(mine.lastUsed))
  assert.ok(!JSON.stringify(sessions).includes(firefox.split('=')[1] as string), 'never the session id')
  assert.equal((await api(gw, '', {})).status, 401, 'nobody signed in')
})

test('a user who is no administrator can neither see nor end others\' sessions: 403, audited; another\'s ref is unknown to them', async (t) => {
  const gw = await start(t)
  const alice = await signInAs(gw, ALICE)
  const bob = await signInAs(gw, BOB)
  const [bobs] = await list(gw, { cookie: bob })
  for (const [method, query] of [['GET', '?source=file&user=bob'], ['DELETE', '?source=file&user=bob'], ['DELETE', '?all=true']] as const) {
    const res = await api(gw, query, { method, headers: { cookie: alice } })
    assert.equal(res.status, 403, `${method} ${query}`)
    assert.equal(res.headers.get('x-platform-error-code'), 'forbidden')
    assert.deepEqual(await res.json(), { code: 'forbidden', message: 'only gateway administrators may see or end other people\'s sessions' })
  }
  const refused = gw.logs.filter((l) => l.audit === 'session' && l.result === 'refused')
  assert.deepEqual(refused.map((l) => [l.actor, l.action, l.user]), [['alice', 'list', 'bob'], ['alice', 'end', 'bob'], ['alice', 'end all', undefined]])
  assert.equal((await api(gw, `/${bobs?.ref ?? ''}`, { method: 'DELETE', headers: { cookie: alice } })).status, 404)
  assert.equal((await fetch(`${gw.url}/gateway/session`, { headers: { cookie: bob } })).status, 200, 'bob is still signed in')
  assert.equal((await list(gw, { cookie: alice }, '?source=file&user=alice')).length, 1, 'naming oneself is fine')
})

test('an administrator (by name or by group) sees everyone\'s, filters by source and user, and ends one, a user\'s, or all', async (t) => {
  const gw = await start(t)
  const alice = [await signInAs(gw, ALICE), await signInAs(gw, ALICE)]
  const bob = await signInAs(gw, BOB)
  const root = await signInAs(gw, ROOT)
  const olga = await signInAs(gw, OPS)
  assert.equal((await list(gw, { cookie: root })).length, 5)
  const alices = await list(gw, { cookie: olga }, '?source=file&user=alice')
  assert.equal(alices.length, 2)
  assert.deepEqual(await list(gw, { cookie: olga }, '?source=ldap&user=alice'), [], 'a name from another source is another person')
  const one = await api(gw, `/${alices[0]?.ref ?? ''}`, { method: 'DELETE', headers: { cookie: root } })
  assert.deepEqual([one.status, await one.json()], [200, { ended: 1 }])
  assert.equal((await fetch(`${gw.url}/gateway/session`, { headers: { cookie: alice[0] as string } })).status, 401)
  assert.equal((await fetch(`${gw.url}/gateway/session`, { headers: { cookie: alice[1] as string } })).status, 200)
  const ofUser = await api(gw, '?source=file&user=alice', { method: 'DELETE', headers: { cookie: root } })
  assert.deepEqual(await ofUser.json(), { ended: 1 })
  assert.equal((await fetch(`${gw.url}/gateway/session`, { headers: { cookie: alice[1] as string } })).status, 401)
  assert.equal((await fetch(`${gw.url}/gateway/session`, { headers: { cookie: bob } })).status, 200)
  const all = await api(gw, '?all=true', { method: 'DELETE', headers: { cookie: olga } })
  assert.deepEqual(await all.json(), { ended: 3 }, 'everyone\'s, the administrator\'s own included')
  for (const cookie of [bob, root, olga]) assert.equal((await fetch(`${gw.url}/gateway/session`, { headers: { cookie } })).status, 401)
  const ended = gw.logs.filter((l) => l.audit === 'session' && l.result === 'ended')
  assert.deepEqual(ended.map((l) => [l.user, l.by, l.scope, l.actor]).slice(0, 2), [['alice', 'admin', 'one', 'root'], ['alice', 'admin', 'user', 'root']])
  for (const line of ended) assert.match(String(line.session), /^[A-Za-z0-9_-]{12}$/)
  const metrics = parsePrometheus(await (await fetch(`${gw.url}/gateway/metrics`)).text())
  const count = (by: string, scope: string): number | undefined => sampleValue(metrics, 'influx_gateway_sessions_ended_total', { by, scope })
  // The administrator's own session among all counts as ended by its user.
  assert.deepEqual([count('admin', 'one'), count('admin', 'user'), count('admin', 'all'), count('user', 'all'), count('user', 'one')], [1, 1, 2, 1, 0])
})

test('the administrators\' API token, as Bearer, lists and ends anyone\'s; any other Authorization is a 401', async (t) => {
  const gw = await start(t)
  const alice = await signInAs(gw, ALICE)
  const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` }
  const [listed] = await list(gw, bearer)
  assert.equal(listed?.current, false)
  for (const authorization of [`Bearer ${ADMIN_TOKEN}x`, `Token ${ADMIN_TOKEN}`, `Token ${ALICE.token ?? ''}`, basic('root', ROOT.password)]) {
    const res = await api(gw, '', { headers: { authorization, cookie: alice } })
    assert.equal(res.status, 401, authorization.slice(0, 12))
  }
  const res = await api(gw, `/${listed?.ref ?? ''}`, { method: 'DELETE', headers: bearer })
  assert.equal(res.status, 200)
  assert.equal((await fetch(`${gw.url}/gateway/session`, { headers: { cookie: alice } })).status, 401)
  assert.equal(gw.logs.find((l) => l.result === 'ended')?.by, 'api')
  assert.ok(!gw.logText().includes(ADMIN_TOKEN), 'the token is never logged')
  assert.equal(gw.influx.requests.filter((r) => r.path.includes('sessions')).length, 0, 'nothing under the prefix is forwarded')
})

test('bad requests: an unknown ref 404, a malformed query 400, another method 405, all InfluxDB-shaped', async (t) => {
  const gw = await start(t)
  const cookie = await signInAs(gw, ROOT)
  const cases: Array<[string, string, number]> = [
    ['DELETE', '/AAAAAAAAAAAA', 404], ['DELETE', '/not-a-ref', 404], ['DELETE', '', 400], ['GET', '?user=alice', 400],
    ['GET', '?source=nis&user=alice', 400], ['GET', '?x=1', 400], ['DELETE', '?all=yes', 400], ['POST', '', 405], ['GET', '/AAAAAAAAAAAA', 405]
  ]
  for (const [method, path, status] of cases) {
    const res = await api(gw, path, { method, headers: { cookie } })
    assert.equal(res.status, status, `${method} ${path}`)
    const body = await res.json() as { code: string, message: string }
    assert.equal(typeof body.message, 'string')
    assert.equal(res.headers.get('x-platform-error-code'), body.code)
  }
})

test('ending with a cookie is a cookie request like any other: a cross-site DELETE is refused and ends nothing', async (t) => {
  const gw = await start(t)
  const alice = await signInAs(gw, ALICE)
  const other = await signInAs(gw, ALICE)
  const [, second] = await list(gw, { cookie: alice })
  const crossSite: Array<Record<string, string>> = [{ 'sec-fetch-site': 'same-site', origin: 'http://127.0.0.1:1' }, { origin: 'http://evil.example' }]
  for (const headers of crossSite) {
    const res = await api(gw, `/${second?.ref ?? ''}`, { method: 'DELETE', headers: { cookie: alice, ...headers } })
    assert.equal(res.status, 403)
    assert.equal((await res.json() as { message: string }).message, 'cross-site request refused')
  }
  assert.equal((await fetch(`${gw.url}/gateway/session`, { headers: { cookie: other } })).status, 200)
})

test('ending a session deletes its minted token in InfluxDB at once', async (t) => {
  const minter: TestUser = { name: 'alice', password: ALICE.password, mint: { org: 'my-org', permissions: ['read:buckets'] } }
  const gw = await startGateway(t, { users: [minter, ROOT], config: ADMINS, influx: { tenancy: { users: ['alice'], buckets: [] } } })
  const alice = await signInAs(gw, minter)
  const root = await signInAs(gw, ROOT)
  assert.equal(gw.influx.tenancy.authorizations().length, 1)
  const [listed] = await list(gw, { cookie: root }, '?source=file&user=alice')
  assert.equal(listed?.user, 'alice')
  assert.equal((await api(gw, `/${listed?.ref ?? ''}`, { method: 'DELETE', headers: { cookie: root } })).status, 200)
  await gw.waitForLog((l) => l.audit === 'token' && l.result === 'revoked')
  assert.deepEqual(gw.influx.tenancy.authorizations(), [], 'the minted token is gone')
  assert.equal((await fetch(`${gw.url}/gateway/session`, { headers: { cookie: alice } })).status, 401)
})

test('an auth-proxy identity\'s implicit session can be ended; its token goes, and the next request through the proxy starts a new one', async (t) => {
  const mint = { org: 'my-org', permissions: ['read:buckets'] }
  const authProxy = { userHeader: 'Remote-User', groupsHeader: 'Remote-Groups', trustedProxies: [`${PROXY_ADDRESS}/32`] }
  const gw = await startGateway(t, {
    users: [ROOT], config: { ...ADMINS, authProxy }, access: [{ group: 'writers', mint }], influx: { tenancy: { users: ['carol'], buckets: [] } }
  })
  const proxy = fetchFrom(t, PROXY_ADDRESS)
  const carol = { 'remote-user': 'carol', 'remote-groups': 'writers' }
  assert.equal((await proxy(`${gw.url}/api/v2/buckets`, { headers: carol })).status, 200)
  const [first] = gw.influx.tenancy.authorizations()
  const own = await proxy(`${gw.url}/gateway/api/sessions`, { headers: carol })
  const [listed] = (await own.json() as { sessions: Listed[] }).sessions
  assert.deepEqual([listed?.user, listed?.source, listed?.address], ['carol', 'proxy', PROXY_ADDRESS], 'the proxy identity sees its implicit session')
  const root = await signInAs(gw, ROOT)
  assert.equal((await api(gw, '?source=proxy&user=carol', { method: 'DELETE', headers: { cookie: root } })).status, 200)
  await gw.waitForLog((l) => l.audit === 'token' && l.result === 'revoked')
  assert.deepEqual(gw.influx.tenancy.authorizations(), [])
  assert.equal((await proxy(`${gw.url}/api/v2/buckets`, { headers: carol })).status, 200)
  const [second] = gw.influx.tenancy.authorizations()
  assert.ok(second !== undefined && second.id !== first?.id, 'a new session with a new token')
})
