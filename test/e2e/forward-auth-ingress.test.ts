/**
 * Forward auth with real ingresses in front: nginx (`auth_request`) and Caddy 2.6 (`forward_auth`), each run
 * with the very config docs/forward-auth.md shows, in front of the gateway, InfluxDB (the real 1.6.7, and the
 * InfluxDB 2 double) and an app beside it. Sign-in, a write and a query reach InfluxDB with the right
 * credential and without the cookie; what must not get through does not.
 */
import assert from 'node:assert/strict'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import YAML from 'yaml'
import { requireBinary } from '../helpers/binaries.ts'
import { ALICE, basic, startGateway, type TestGateway, type TestUser } from '../helpers/gateway.ts'
import { startCaddy, startNginx, type Ingress } from '../helpers/ingress.ts'
import { docConfig, onPorts } from '../helpers/ingress-config.ts'
import { startInfluxd } from '../helpers/influxd.ts'
import { fetchFrom, PROXY_ADDRESS } from '../helpers/peer.ts'
import { freePort } from '../helpers/redis-server.ts'
import { recordSetCookies } from '../helpers/secret-ledger.ts'

const NGINX = requireBinary('nginx', 'nginx-light', 'forward auth behind nginx')
const CADDY = requireBinary('caddy', 'caddy', 'forward auth behind Caddy')
const INFLUXD = requireBinary('influxd', 'influxdb', 'forward auth in front of the real InfluxDB 1.x')

const BOB: TestUser = { name: 'bob', password: 'bob gateway password', groups: ['dashboards'] }

/** An app beside InfluxDB: answers 200 and keeps the headers of every request. */
async function startApp (t: TestContext): Promise<{ port: number, seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = []
  const server = createServer((req, res) => { seen.push(req.headers); res.end('app page') })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise((resolve) => server.close(resolve)))
  return { port: (server.address() as AddressInfo).port, seen }
}

interface Setup { gw: TestGateway, ingress: Ingress, app: { seen: IncomingHttpHeaders[] } }

type Kind = 'nginx' | 'caddy'

async function setUp (t: TestContext, kind: Kind, upstream: { url?: string, users: TestUser[] }): Promise<Setup> {
  const fromDocs = YAML.parse(docConfig('yaml')) as Record<string, Record<string, unknown>>
  const gw = await startGateway(t, {
    users: upstream.users,
    access: [{ group: 'dashboards', token: 'dashboards-token' }],
    ...(upstream.url === undefined ? {} : { upstreamUrl: upstream.url }),
    config: fromDocs
  })
  const app = await startApp(t)
  const ports = { ingress: await freePort(), gateway: Number(new URL(gw.url).port), influx: Number(new URL(upstream.url ?? gw.influx.url).port), app: app.port }
  const ingress = kind === 'nginx'
    ? await startNginx(NGINX as string, onPorts(docConfig('nginx'), ports), ports.ingress)
    : await startCaddy(CADDY as string, onPorts(docConfig('caddyfile'), ports), ports.ingress)
  t.after(() => ingress.stop())
  return { gw, ingress, app }
}

async function signInThrough (ingress: Ingress, user: TestUser): Promise<string> {
  const res = await fetch(`${ingress.url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic(user.name, user.password) } })
  assert.equal(res.status, 204, `sign-in through the ingress: ${await res.text()}`)
  const setCookie = res.headers.get('set-cookie') ?? ''
  recordSetCookies(setCookie)
  return setCookie.split(';')[0] as string
}

for (const kind of ['nginx', 'caddy'] as const) {
  const skip = (kind === 'nginx' ? NGINX : CADDY) === undefined ? `${kind} not installed` : false

  test(`${kind}: a write and a query reach the InfluxDB 2 double with the session's token and without the cookie`, { skip }, async (t) => {
    const { gw, ingress } = await setUp(t, kind, { users: [ALICE, BOB] })
    const cookie = await signInThrough(ingress, ALICE)
    const write = await fetch(`${ingress.url}/api/v2/write?org=my-org&bucket=b`, { method: 'POST', headers: { cookie }, body: 'cpu load=0.5' })
    assert.equal(write.status, 204)
    const written = await gw.influx.waitForRequest((r) => r.path === '/api/v2/write')
    assert.equal(written.headers.authorization, 'Token test-token')
    assert.equal(written.headers.cookie, undefined)
    assert.equal(written.body.toString(), 'cpu load=0.5')
    const query = await fetch(`${ingress.url}/api/v2/query?org=my-org`, {
      method: 'POST', headers: { cookie, 'content-type': 'application/vnd.flux' }, body: 'from(bucket: "b") |> range(start: -1h)'
    })
    assert.equal(query.status, 200)
    const asked = await gw.influx.waitForRequest((r) => r.path === '/api/v2/query')
    assert.deepEqual([asked.headers.authorization, asked.headers.cookie], ['Token test-token', undefined])
  })

  test(`${kind}: without a session 401 (the sign-in's address for a page load), a refused route 403; nothing reaches InfluxDB`, { skip }, async (t) => {
    const { gw, ingress } = await setUp(t, kind, { users: [ALICE, BOB] })
    assert.equal((await fetch(`${ingress.url}/api/v2/buckets`)).status, 401)
    const page = await fetch(`${ingress.url}/grafana/d/home`, { redirect: 'manual', headers: { accept: 'text/html', 'sec-fetch-dest': 'document' } })
    const signin = `/signin?returnTo=${encodeURIComponent('/grafana/d/home')}`
    if (kind === 'nginx') assert.deepEqual([page.status, page.headers.get('location')], [302, `${ingress.url}${signin}`], 'nginx writes it absolute')
    else assert.deepEqual([page.status, page.headers.get('location')], [401, signin], 'Caddy passes the 401 on as it is')
    const cookie = await signInThrough(ingress, ALICE)
    assert.equal((await fetch(`${ingress.url}/api/v2/setup`, { method: 'POST', headers: { cookie }, body: '{}' })).status, 403)
    assert.equal((await fetch(`${ingress.url}/api/v2/buckets`, { headers: { cookie, 'sec-fetch-site': 'cross-site' } })).status, 403)
    assert.equal((await fetch(`${ingress.url}/query?q=SHOW+USERS&u=admin&p=guess`, { headers: { cookie } })).status, 403, 'u/p of its own')
    assert.equal(gw.influx.requests.length, 0)
  })

  test(`${kind}: a protected app gets the identity, never a token or the cookie; forged identity headers are not passed on`, { skip }, async (t) => {
    const { ingress, app } = await setUp(t, kind, { users: [ALICE, BOB] })
    const bob = await signInThrough(ingress, BOB)
    const forged = { 'x-auth-request-user': 'admin', 'x-auth-request-groups': 'admins' }
    const res = await fetch(`${ingress.url}/grafana/api/dashboards`, { headers: { cookie: bob, ...forged } })
    assert.equal(res.status, 200)
    const seen = app.seen.at(-1) as IncomingHttpHeaders
    assert.deepEqual([seen['x-auth-request-user'], seen['x-auth-request-groups']], ['bob', 'dashboards'])
    assert.deepEqual([seen.authorization, seen.cookie], [undefined, undefined])
    const alice = await signInThrough(ingress, ALICE)
    assert.equal((await fetch(`${ingress.url}/grafana/api/dashboards`, { headers: { cookie: alice, ...forged } })).status, 403)
    assert.equal((await fetch(`${ingress.url}/grafana/api/dashboards`, { headers: forged })).status, 401)
    assert.equal(app.seen.length, 1, 'only bob\'s request reached the app')
  })

  test(`${kind}: SECURITY: the endpoint answers no one but the ingress, not even a client's question relayed by the ingress`, { skip }, async (t) => {
    const { gw, ingress } = await setUp(t, kind, { users: [ALICE, BOB] })
    const cookie = await signInThrough(ingress, ALICE)
    const question = { cookie, 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/api/v2/buckets', 'x-original-uri': '/api/v2/buckets' }
    const direct = await fetchFrom(t, PROXY_ADDRESS)(`${gw.url}/gateway/auth`, { headers: question })
    assert.equal(direct.status, 403, 'a peer not in forwardAuth.trustedProxies')
    for (const path of ['/gateway/auth', '/Gateway/Auth', '/gateway/%61uth', '/gateway/auth/', '/gateway/session/../auth']) {
      const relayed = await fetch(`${ingress.url}${path}`, { headers: question })
      const answer = `${JSON.stringify([...relayed.headers])} ${await relayed.text()}`
      assert.doesNotMatch(answer, /test-token/, `${path} through the ingress`)
      assert.equal(relayed.headers.get('x-auth-request-user'), null, path)
    }
  })

  test(`${kind}: a write and a query reach the real InfluxDB 1.6.7 with the rule's Basic credential`, { skip: skip || (INFLUXD === undefined ? 'influxd not installed' : false) }, async (t) => {
    const influxd = await startInfluxd(INFLUXD as string)
    t.after(() => influxd.stop())
    await influxd.query('CREATE DATABASE fa')
    const root: TestUser = { name: 'root', password: 'root gateway password', basic: influxd.admin }
    const { ingress } = await setUp(t, kind, { url: influxd.url, users: [root] })
    assert.equal((await fetch(`${ingress.url}/query?q=SHOW+DATABASES`)).status, 401)
    const cookie = await signInThrough(ingress, root)
    const write = await fetch(`${ingress.url}/write?db=fa`, { method: 'POST', headers: { cookie }, body: 'cpu load=0.5 1700000000000000000' })
    assert.equal(write.status, 204, await write.text())
    const query = await fetch(`${ingress.url}/query?db=fa&q=${encodeURIComponent('SELECT load FROM cpu')}`, { headers: { cookie } })
    assert.equal(query.status, 200)
    assert.match(await query.text(), /"values":\[\["2023-11-14T22:13:20Z",0.5\]\]/)
    assert.equal((await fetch(`${ingress.url}/query?q=${encodeURIComponent('DROP DATABASE fa')}`, { headers: { cookie, 'sec-fetch-site': 'cross-site' } })).status, 403)
    assert.match(JSON.stringify(await influxd.query('SHOW DATABASES')), /"fa"/)
  })
}
