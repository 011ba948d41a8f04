import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { signIn, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { fetchFrom, PROXY_ADDRESS, rawFrom, type PeerFetch } from '../helpers/peer.ts'

const APP = 'http://127.0.0.1:3000'
const EVIL = 'http://127.0.0.1:6666'
const AUTH_PROXY = { userHeader: 'X-Forwarded-User', groupsHeader: 'X-Forwarded-Groups', trustedProxies: [`${PROXY_ADDRESS}/32`] }
const ACCESS = [{ group: 'influx-writers', token: 'test-token' }, { group: 'influx-readers', token: 'reader-token' }]
const WRITER = { 'x-forwarded-user': 'carol', 'x-forwarded-groups': 'influx-writers' }

async function start (t: TestContext): Promise<{ gw: TestGateway, proxy: PeerFetch }> {
  const gw = await startGateway(t, { config: { authProxy: AUTH_PROXY, cors: { origins: [APP] } }, access: ACCESS })
  return { gw, proxy: fetchFrom(t, PROXY_ADDRESS) }
}

async function refused (gw: TestGateway, proxy: PeerFetch, path: string, init: Parameters<PeerFetch>[1], status: number): Promise<unknown> {
  const before = gw.influx.requests.length
  const res = await proxy(`${gw.url}${path}`, init)
  assert.equal(res.status, status, `${path} ${JSON.stringify(init?.headers)}`)
  assert.equal(gw.influx.requests.length, before, 'nothing reached InfluxDB')
  return await res.json()
}

test('an identity no access rule grants gets 403 before InfluxDB, audited with its groups', async (t) => {
  const { gw, proxy } = await start(t)
  const body = await refused(gw, proxy, '/api/v2/buckets', { headers: { 'x-forwarded-user': 'erin', 'x-forwarded-groups': 'staff,  , interns' } }, 403)
  assert.deepEqual(body, { code: 'forbidden', message: 'no InfluxDB access is granted to this user' })
  const audit = await gw.waitForLog((l) => l.audit === 'proxy' && l.result === 'no access')
  assert.deepEqual([audit.user, audit.source, audit.groups], ['erin', 'proxy', ['staff', 'interns']])
  await refused(gw, proxy, '/api/v2/me', { headers: { 'x-forwarded-user': 'frank' } }, 403)
})

test('a proxy identity named like a file user never gets that user\'s own credential', async (t) => {
  const { gw, proxy } = await start(t)
  await refused(gw, proxy, '/api/v2/buckets', { headers: { 'x-forwarded-user': 'alice' } }, 403)
  await proxy(`${gw.url}/api/v2/me`, { headers: { 'x-forwarded-user': 'alice', 'x-forwarded-groups': 'influx-readers' } })
  assert.equal(gw.influx.last()?.headers.authorization, 'Token reader-token', 'the rule\'s, not alice\'s file token')
})

test('resource isolation holds for proxy identities as for the cookie: another site cannot ride on the proxy\'s sign-in', async (t) => {
  const { gw, proxy } = await start(t)
  const write = '/api/v2/write?org=o&bucket=b'
  for (const headers of [{ origin: EVIL }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { referer: `${EVIL}/x` }]) {
    const body = await refused(gw, proxy, write, { method: 'POST', headers: { ...WRITER, ...headers }, body: 'm v=1' }, 403)
    assert.deepEqual(body, { code: 'forbidden', message: 'cross-site request refused' })
  }
  await refused(gw, proxy, '/api/v2/buckets', { headers: { ...WRITER, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors' } }, 403)
  for (const headers of [{}, { origin: APP }, { 'sec-fetch-site': 'same-origin' }]) {
    const res = await proxy(`${gw.url}${write}`, { method: 'POST', headers: { ...WRITER, ...headers }, body: 'm v=1' })
    assert.equal(res.status, 204, JSON.stringify(headers))
  }
  // fetch() writes its own Sec-Fetch-Mode: a navigation is sent raw.
  const navigation = ['Sec-Fetch-Site: cross-site', 'Sec-Fetch-Mode: navigate', 'Sec-Fetch-Dest: document', 'X-Forwarded-User: carol',
    'X-Forwarded-Groups: influx-writers', `Host: ${new URL(gw.url).host}`, 'Connection: close']
  for (const [path, status] of [['/orgs/1', 200], ['/api/v2/buckets', 403]] as const) {
    const answer = await rawFrom(PROXY_ADDRESS, gw.url, [`GET ${path} HTTP/1.1`, ...navigation, '', ''].join('\r\n'))
    assert.match(answer, new RegExp(`^HTTP/1\\.1 ${status} `), `a link may open a UI page, never an API route: ${path}`)
  }
})

test('the proxy identity wins over a client token and over a session cookie', async (t) => {
  const { gw, proxy } = await start(t)
  await proxy(`${gw.url}/api/v2/buckets`, { headers: { ...WRITER, 'x-forwarded-groups': 'influx-readers', authorization: 'Token own-token' } })
  assert.equal(gw.influx.last()?.headers.authorization, 'Token reader-token', 'the access rules decide, not a token the client brings')
  await proxy(`${gw.url}/api/v2/buckets`, { headers: { ...WRITER, authorization: 'Bearer idp-access-token' } })
  assert.equal(gw.influx.last()?.headers.authorization, 'Token test-token', 'an SSO proxy\'s own Bearer never reaches InfluxDB')
  const cookie = await signIn(gw)
  await proxy(`${gw.url}/api/v2/me`, { headers: { ...WRITER, 'x-forwarded-groups': 'influx-readers', cookie } })
  const seen = gw.influx.last()?.headers
  assert.equal(seen?.authorization, 'Token reader-token', 'not alice\'s token from her cookie')
  assert.equal(seen?.cookie, undefined)
  const line = await gw.waitForLog((l) => l.msg === 'request' && l.path === '/api/v2/me')
  assert.equal(line.user, 'carol')
})

test('routes InfluxDB leaves unauthenticated accept a proxy identity, as a session', async (t) => {
  const { gw, proxy } = await start(t)
  for (const path of ['/metrics', '/debug/vars']) {
    assert.equal((await proxy(`${gw.url}${path}`, { headers: WRITER })).status, 200, path)
    assert.equal(gw.influx.last()?.headers.authorization, 'Token test-token', path)
  }
})

test('the InfluxDB UI\'s start-up sequence is signed in through the proxy: setup, then /api/v2/me with the credential', async (t) => {
  const { gw, proxy } = await start(t)
  const ui = { ...WRITER, 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors' }
  assert.equal((await proxy(`${gw.url}/api/v2/setup`, { headers: ui })).status, 200)
  const me = await proxy(`${gw.url}/api/v2/me`, { headers: ui })
  assert.equal(me.status, 200)
  assert.equal(((await me.json()) as { name?: string }).name !== undefined, true)
  assert.equal(gw.influx.last()?.headers.authorization, 'Token test-token')
})
