/**
 * `<gatewayPrefix>/auth` asked as an ingress asks it (from the address in `forwardAuth.trustedProxies`),
 * and by anyone else: what it answers, what it hands out, what it refuses, and what it logs and counts.
 * The real nginx and Caddy in front: test/e2e/forward-auth-ingress.test.ts.
 */
import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { createReloader } from '../../src/reload.ts'
import { ALICE, signIn, startGateway, type StartGatewayOptions, type TestGateway } from '../helpers/gateway.ts'
import { fetchFrom, PROXY_ADDRESS, type PeerFetch } from '../helpers/peer.ts'
import { parsePrometheus, sampleValue } from '../helpers/prometheus.ts'

const INGRESS = { trustedProxies: [`${PROXY_ADDRESS}/32`], apps: [{ name: 'grafana', pathPrefix: '/grafana', groups: ['dashboards'] }] }
const BOB = { name: 'bob', password: 'bob gateway password', groups: ['dashboards', 'readers'] }

type Answer = Awaited<ReturnType<PeerFetch>>
interface Ingress { gw: TestGateway, ask: (method: string, uri: string, headers?: Record<string, string>) => Promise<Answer>, ingress: PeerFetch }

async function withIngress (t: TestContext, opts: StartGatewayOptions = {}): Promise<Ingress> {
  const gw = await startGateway(t, {
    users: [ALICE, BOB],
    access: [{ group: 'readers', token: 'readers-token' }],
    ...opts,
    config: { forwardAuth: INGRESS, ...opts.config }
  })
  const ingress = fetchFrom(t, PROXY_ADDRESS)
  const ask = async (method: string, uri: string, headers: Record<string, string> = {}): Promise<Answer> =>
    await ingress(`${gw.url}/gateway/auth`, {
      headers: { 'x-forwarded-method': method, 'x-forwarded-uri': uri, 'x-forwarded-host': 'influx.example', 'x-forwarded-proto': 'https', ...headers }
    })
  return { gw, ask, ingress }
}

async function forwardAuthCount (gw: TestGateway, outcome: string): Promise<number | undefined> {
  const text = await (await fetch(`${gw.url}/gateway/metrics`)).text()
  return sampleValue(parsePrometheus(text), 'influx_gateway_forward_auth_total', { outcome })
}

test('a signed-in request is answered 200 with the identity and the credential the forwarder would send; nothing reaches InfluxDB', async (t) => {
  const { gw, ask } = await withIngress(t)
  const cookie = await signIn(gw)
  const res = await ask('POST', '/api/v2/write?org=o&bucket=b', { cookie })
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('authorization'), 'Token test-token')
  assert.equal(res.headers.get('x-auth-request-user'), 'alice')
  assert.equal(res.headers.get('x-auth-request-groups'), '')
  assert.equal(res.headers.get('cache-control'), 'no-store')
  const bob = await ask('GET', '/api/v2/buckets', { cookie: await signIn(gw, BOB.name, BOB.password) })
  assert.equal(bob.headers.get('authorization'), 'Token readers-token', 'a rule\'s credential, as forwarding would send it')
  assert.equal(bob.headers.get('x-auth-request-groups'), 'dashboards,readers')
  assert.equal(gw.influx.requests.length, 0)
  assert.equal(await forwardAuthCount(gw, 'allowed'), 2)
})

test('without a session: 401, with the sign-in\'s address for a page load; a public route is 200 without identity', async (t) => {
  const { gw, ask } = await withIngress(t)
  const api = await ask('GET', '/api/v2/buckets')
  assert.equal(api.status, 401)
  assert.equal(api.headers.get('location'), null)
  const page = await ask('GET', '/grafana/d/home?orgId=1', { 'sec-fetch-dest': 'document', 'sec-fetch-mode': 'navigate', 'sec-fetch-site': 'none' })
  assert.equal(page.status, 401)
  assert.equal(page.headers.get('location'), `/signin?returnTo=${encodeURIComponent('/grafana/d/home?orgId=1')}`)
  const health = await ask('GET', '/health')
  assert.equal(health.status, 200)
  assert.equal(health.headers.get('authorization'), null)
  assert.equal(health.headers.get('x-auth-request-user'), null)
  assert.equal(await forwardAuthCount(gw, 'unauthenticated'), 2)
})

test('a protected app gets the identity of a user it admits, never an InfluxDB credential; others get 403, audited', async (t) => {
  const { gw, ask } = await withIngress(t)
  const bob = await ask('GET', '/grafana/api/dashboards', { cookie: await signIn(gw, BOB.name, BOB.password) })
  assert.equal(bob.status, 200)
  assert.equal(bob.headers.get('x-auth-request-user'), 'bob')
  assert.equal(bob.headers.get('authorization'), null)
  const alice = await ask('GET', '/grafana/api/dashboards', { cookie: await signIn(gw) })
  assert.equal(alice.status, 403)
  assert.equal(alice.headers.get('authorization'), null)
  const line = await gw.waitForLog((l) => l.audit === 'forward auth' && l.result === 'refused')
  assert.equal(line.app, 'grafana')
  assert.equal(line.user, 'alice')
  assert.equal(await forwardAuthCount(gw, 'refused'), 1)
})

test('identity headers a client sent are never echoed back', async (t) => {
  const { gw, ask } = await withIngress(t)
  const forged = { 'x-auth-request-user': 'admin', 'x-auth-request-groups': 'admins', 'x-auth-request-email': 'admin@example.com' }
  const res = await ask('GET', '/grafana/', { ...forged, cookie: await signIn(gw, BOB.name, BOB.password) })
  assert.equal(res.headers.get('x-auth-request-user'), 'bob')
  assert.equal(res.headers.get('x-auth-request-groups'), 'dashboards,readers')
  assert.equal(res.headers.get('x-auth-request-email'), null)
  const anonymous = await ask('GET', '/health', forged)
  assert.deepEqual([anonymous.headers.get('x-auth-request-user'), anonymous.headers.get('x-auth-request-groups')], [null, null])
})

test('SECURITY: a peer not in forwardAuth.trustedProxies gets 403, whatever its cookie; none of its headers is logged', async (t) => {
  const { gw } = await withIngress(t)
  const cookie = await signIn(gw)
  const res = await fetch(`${gw.url}/gateway/auth`, {
    headers: { cookie, 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/api/v2/buckets', 'user-agent': 'probe-marker-7731' }
  })
  assert.equal(res.status, 403)
  assert.equal(res.headers.get('authorization'), null)
  assert.equal((await res.json() as { code: string }).code, 'forbidden')
  await gw.waitForLog((l) => l.audit === 'forward auth' && l.result === 'untrusted')
  assert.doesNotMatch(gw.logText(), /probe-marker-7731|\/api\/v2\/buckets/)
  assert.equal(await forwardAuthCount(gw, 'untrusted'), 1)
})

test('without forwardAuth: the endpoint does not exist', async (t) => {
  const gw = await startGateway(t)
  assert.equal((await fetch(`${gw.url}/gateway/auth`, { headers: { 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/' } })).status, 404)
})

test('SECURITY: an original request bringing credentials of its own is 403 (the ingress would pass them on to InfluxDB)', async (t) => {
  const { gw, ask } = await withIngress(t)
  const cookie = await signIn(gw)
  for (const [uri, headers] of [
    ['/query?q=SHOW+DATABASES&u=admin&p=secret', {}],
    ['/query?%70=secret&q=SHOW+DATABASES', {}],
    ['/api/v2/buckets', { authorization: 'Token someone-elses-token' }],
    ['/api/v2/buckets', { authorization: 'Basic YWRtaW46c2VjcmV0' }]
  ] as const) {
    const res = await ask('GET', uri, { cookie, ...headers })
    assert.equal(res.status, 403, uri)
    assert.equal(res.headers.get('authorization'), null, uri)
  }
  const refused = gw.logs.filter((l) => l.audit === 'forward auth' && l.result === 'refused')
  assert.deepEqual(refused.map((l) => [l.method, l.path]), Array(4).fill(['GET', '/query']).fill(['GET', '/api/v2/buckets'], 2))
  assert.doesNotMatch(gw.logText(), /secret|someone-elses-token|YWRtaW46c2VjcmV0/, 'neither the query nor the header is logged')
})

test('SECURITY: a client\'s X-Forwarded-Uri next to the ingress\'s X-Original-URI is refused, never judged instead', async (t) => {
  const { ask } = await withIngress(t)
  const res = await ask('GET', '/health', { 'x-original-uri': '/api/v2/buckets' })
  assert.equal(res.status, 403)
  assert.equal((await ask('GET', '/health', { 'x-original-uri': '/health' })).status, 200, 'the same target twice is one target')
})

test('the original request is judged by the route rules, the upstream policy and resource isolation, as forwarding judges it', async (t) => {
  const { gw, ask, ingress } = await withIngress(t)
  const cookie = await signIn(gw)
  assert.equal((await ask('POST', '/api/v2/setup', { cookie })).status, 403, 'onboarding refused by the upstream policy')
  assert.equal((await ask('PUT', '/api/v2/me/password', { cookie })).status, 403, 'a 501 of the policy is answered 403: nginx passes only 401 and 403')
  assert.equal((await ask('GET', '/api/v2/%2e%2e/debug/pprof', { cookie })).status, 403, 'an ambiguous target')
  assert.equal((await ask('GET', '/api/v2/buckets', { cookie, 'sec-fetch-site': 'cross-site' })).status, 403, 'cross-site')
  assert.equal((await ask('GET', '/api/v2/buckets', { cookie, origin: 'https://influx.example' })).status, 200, 'the ingress\'s own origin')
  const noMethod = await ingress(`${gw.url}/gateway/auth`, { headers: { cookie, 'x-forwarded-uri': '/api/v2/buckets' } })
  assert.equal(noMethod.status, 403, 'no X-Forwarded-Method')
  const noTarget = await ingress(`${gw.url}/gateway/auth`, { headers: { cookie, 'x-forwarded-method': 'GET' } })
  assert.equal(noTarget.status, 403, 'no target')
})

test('renewal as for a forwarded request: a passive route does not slide the idle expiry', async (t) => {
  let now = Date.parse('2026-01-01T00:00:00Z')
  const { gw, ask } = await withIngress(t, { now: () => now, config: { session: { idleTimeout: '10m', passiveRoutes: ['GET /api/v2/me'] } } })
  const cookie = await signIn(gw)
  now += 6 * 60_000
  assert.equal((await ask('GET', '/api/v2/me', { cookie })).status, 200)
  now += 6 * 60_000
  assert.equal((await ask('GET', '/api/v2/buckets', { cookie })).status, 401, 'the passive route did not renew: expired')
  const renewed = await signIn(gw)
  now += 6 * 60_000
  assert.equal((await ask('GET', '/api/v2/buckets', { cookie: renewed })).status, 200)
  now += 6 * 60_000
  assert.equal((await ask('GET', '/api/v2/buckets', { cookie: renewed })).status, 200, 'an active route renewed it')
})

test('forwardAuth: is reloaded like the rest: new trusted addresses and apps apply to the next question', async (t) => {
  const { gw, ask } = await withIngress(t)
  const cookie = await signIn(gw)
  assert.equal((await ask('GET', '/grafana/', { cookie })).status, 403, 'alice is not in dashboards')
  const apps = [{ name: 'grafana', pathPrefix: '/grafana', users: ['alice'], groups: [] }]
  const reload = async (forwardAuth: unknown): Promise<void> => {
    const next = { ...gw.deps.config, forwardAuth } as typeof gw.deps.config
    assert.equal(await createReloader({ deps: gw.deps, logger: gw.deps.logger, load: () => next }).reload('test'), true)
  }
  await reload({ trustedProxies: [`${PROXY_ADDRESS}/32`], apps })
  assert.equal((await ask('GET', '/grafana/', { cookie })).status, 200, 'the app now names her')
  await reload({ trustedProxies: ['127.0.0.3/32'], apps })
  assert.equal((await ask('GET', '/grafana/', { cookie })).status, 403, 'the ingress\'s address is no longer trusted')
  await reload(undefined)
  assert.equal((await ask('GET', '/grafana/', { cookie })).status, 404, 'without the section the endpoint is gone')
})

test('SECURITY: an app\'s users are file users: an auth-proxy identity named like one is someone else', async (t) => {
  const apps = [{ name: 'grafana', pathPrefix: '/grafana', users: ['alice'], groups: ['dashboards'] }]
  const authProxy = { userHeader: 'Remote-User', groupsHeader: 'Remote-Groups', trustedProxies: [`${PROXY_ADDRESS}/32`] }
  const { gw, ask } = await withIngress(t, { config: { forwardAuth: { ...INGRESS, apps }, authProxy } })
  assert.equal((await ask('GET', '/grafana/', { cookie: await signIn(gw) })).status, 200, 'the file user alice')
  const namesake = await ask('GET', '/grafana/', { 'remote-user': 'alice', 'remote-groups': 'readers' })
  assert.equal(namesake.status, 403, 'the proxy\'s alice')
  const member = await ask('GET', '/grafana/', { 'remote-user': 'carol', 'remote-groups': 'readers,dashboards' })
  assert.equal(member.status, 200, 'admitted by a group, whatever the source')
  assert.equal(member.headers.get('x-auth-request-user'), 'carol')
})

test('SECURITY: in front of InfluxDB 3, forward auth applies the same database rules as forwarding; what it cannot see it refuses', async (t) => {
  const { startFakeInflux3, INFLUX3_OPERATOR_TOKEN } = await import('../helpers/fake-influx3.ts')
  const influx3 = await startFakeInflux3({ databases: ['telemetry', 'secret'] })
  t.after(() => influx3.close())
  const analyst = { name: 'carol', password: 'carol gateway password', groups: ['analysts'] }
  const { gw, ask } = await withIngress(t, {
    upstreamUrl: influx3.url,
    users: [analyst],
    config: { upstream: { version: 3 } },
    access: [{ group: 'analysts', token: INFLUX3_OPERATOR_TOKEN, databases: { read: ['telemetry'], write: ['telemetry'] } }]
  })
  const cookie = await signIn(gw, analyst.name, analyst.password)
  const allowed = await ask('GET', '/api/v3/query_sql?db=telemetry&q=SELECT%201', { cookie })
  assert.equal(allowed.status, 200)
  assert.equal(allowed.headers.get('authorization'), `Token ${INFLUX3_OPERATOR_TOKEN}`)
  for (const [method, uri] of [['GET', '/api/v3/query_sql?db=secret&q=SELECT%201'], ['POST', '/api/v3/write_lp?db=secret'],
    ['GET', '/query?db=telemetry&q=SELECT%20*%20FROM%20secret..cpu'], ['POST', '/api/v3/query_sql'], ['GET', '/query?q=SHOW%20DATABASES']]) {
    const refused = await ask(method as string, uri as string, { cookie })
    assert.equal(refused.status, 403, `${method} ${uri}`)
    assert.equal(refused.headers.get('authorization'), null, `${method} ${uri}: no credential handed out`)
  }
  assert.equal(influx3.requests.length, 0, 'forward auth never forwards')
})
