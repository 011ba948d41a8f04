import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { ALICE, basic, startGateway } from '../helpers/gateway.ts'
import { fetchFrom, OTHER_ADDRESS, PROXY_ADDRESS } from '../helpers/peer.ts'

async function signInCookie (url: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic(ALICE.name, ALICE.password), ...headers } })
  assert.equal(res.status, 204)
  return res.headers.get('set-cookie') ?? ''
}

test('X-Forwarded-* from an untrusted client are ignored and overwritten', async (t) => {
  const gw = await startGateway(t)
  const setCookie = await signInCookie(gw.url, { 'x-forwarded-proto': 'https' })
  assert.doesNotMatch(setCookie, /Secure/)
  const cookie = setCookie.split(';')[0] as string
  await fetch(`${gw.url}/api/v2/me`, { headers: { cookie, 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' } })
  const seen = gw.influx.last()?.headers
  assert.equal(seen?.['x-forwarded-for'], '127.0.0.1')
  assert.equal(seen?.['x-forwarded-proto'], 'http')
  assert.equal(seen?.['x-forwarded-host'], new URL(gw.url).host)
})

test('a proxy listed in server.trustProxy is believed: HTTPS makes the cookie Secure', async (t) => {
  const gw = await startGateway(t, { config: { server: { trustProxy: ['10.0.0.0/8', '127.0.0.1/32'] } } })
  const setCookie = await signInCookie(gw.url, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7, 10.1.2.3' })
  assert.match(setCookie, /; Secure/)
  const cookie = setCookie.split(';')[0] as string
  await fetch(`${gw.url}/api/v2/me`, { headers: { cookie, 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'influx.example.com' } })
  const seen = gw.influx.last()?.headers
  assert.equal(seen?.['x-forwarded-for'], '203.0.113.7, 127.0.0.1')
  assert.equal(seen?.['x-forwarded-proto'], 'https')
  assert.equal(seen?.['x-forwarded-host'], 'influx.example.com')
  const origin = await fetch(`${gw.url}/api/v2/write?org=o&bucket=b`, {
    method: 'POST', headers: { cookie, origin: 'https://influx.example.com', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'influx.example.com' }, body: 'm v=1'
  })
  assert.equal(origin.status, 204, 'the public origin behind the proxy is the gateway\'s own origin')
})

test('cookie settings: name, path, SameSite and Secure are configurable', async (t) => {
  const gw = await startGateway(t, { config: { session: { cookie: { name: 'gw-session', path: '/api/', sameSite: 'lax', secure: 'always' } } } })
  const setCookie = await signInCookie(gw.url)
  assert.match(setCookie, /^gw-session=[\w-]{43}; Path=\/api\/; HttpOnly; SameSite=Lax; Secure; Expires=/)
  const cookie = setCookie.split(';')[0] as string
  assert.equal((await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })).status, 200)
  assert.equal(gw.influx.last()?.headers.cookie, undefined, 'the renamed cookie is stripped too')
})

test('with server.tls the gateway serves HTTPS and the cookie is Secure', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-tls-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' })
  const gw = await startGateway(t, { config: { server: { tls: { cert, key } } } })
  assert.match(gw.url, /^https:/)
  const res = await new Promise<{ status: number, setCookie: string[] }>((resolve, reject) => {
    request(`${gw.url}/api/v2/signin`, { method: 'POST', ca: readFileSync(cert), headers: { authorization: basic(ALICE.name, ALICE.password) } }, (r) => {
      r.resume()
      resolve({ status: r.statusCode ?? 0, setCookie: r.headers['set-cookie'] ?? [] })
    }).on('error', reject).end()
  })
  assert.equal(res.status, 204)
  assert.match(res.setCookie[0] ?? '', /; Secure/)
})

test('every forwarding header from an untrusted client is dropped, not only the three the gateway sets', async (t) => {
  const gw = await startGateway(t)
  await fetch(`${gw.url}/ping`, {
    headers: { 'x-forwarded-port': '443', 'x-forwarded-prefix': '/evil', 'x-forwarded-ssl': 'on', forwarded: 'for=1.2.3.4;proto=https', 'x-real-ip': '1.2.3.4' }
  })
  const seen = gw.influx.last()?.headers ?? {}
  for (const name of ['x-forwarded-port', 'x-forwarded-prefix', 'x-forwarded-ssl', 'forwarded', 'x-real-ip']) assert.equal(seen[name], undefined, name)
  const trusted = await startGateway(t, { config: { server: { trustProxy: ['127.0.0.1/32'] } } })
  await fetch(`${trusted.url}/ping`, { headers: { 'x-forwarded-prefix': '/influx' } })
  assert.equal(trusted.influx.last()?.headers['x-forwarded-prefix'], '/influx', 'a trusted proxy\'s headers stay')
})

/** One way a client may name its address, and what the gateway must make of it. */
interface AddressCase {
  what: string
  peer: string
  /** The headers of the `i`-th request: each names another address. */
  headers: (i: number) => Record<string, string>
  /** The client address the gateway logs and throttles by. */
  ip: (i: number) => string
  /** What InfluxDB gets as `X-Forwarded-For` and `X-Real-IP`. */
  upstream: (i: number) => { xff: string, realIp: string | undefined }
}

const SPOOFED = (i: number): string => `203.0.113.${i + 1}`
const CASES: AddressCase[] = [
  ...[
    ['X-Real-IP', (i: number) => ({ 'x-real-ip': SPOOFED(i) })],
    ['X-Forwarded-For', (i: number) => ({ 'x-forwarded-for': SPOOFED(i) })],
    ['both, and Forwarded', (i: number) => ({ 'x-real-ip': SPOOFED(i), 'x-forwarded-for': SPOOFED(i), forwarded: `for=${SPOOFED(i)}` })]
  ].map(([name, headers]): AddressCase => ({
    what: `untrusted peer sending ${name as string}`,
    peer: OTHER_ADDRESS,
    headers: headers as AddressCase['headers'],
    ip: () => OTHER_ADDRESS,
    upstream: () => ({ xff: OTHER_ADDRESS, realIp: undefined })
  })),
  {
    what: 'trusted proxy sending X-Forwarded-For',
    peer: PROXY_ADDRESS,
    headers: (i) => ({ 'x-forwarded-for': SPOOFED(i) }),
    ip: SPOOFED,
    upstream: (i) => ({ xff: `${SPOOFED(i)}, ${PROXY_ADDRESS}`, realIp: undefined })
  },
  {
    // The gateway reads the address from X-Forwarded-For only; a trusted proxy's X-Real-IP goes on as sent.
    what: 'trusted proxy sending only X-Real-IP',
    peer: PROXY_ADDRESS,
    headers: (i) => ({ 'x-real-ip': SPOOFED(i) }),
    ip: () => PROXY_ADDRESS,
    upstream: (i) => ({ xff: PROXY_ADDRESS, realIp: SPOOFED(i) })
  }
]

test('the client address for throttling, logs and InfluxDB: only a proxy in server.trustProxy names it', async (t) => {
  for (const c of CASES) {
    const gw = await startGateway(t, { config: { server: { trustProxy: [`${PROXY_ADDRESS}/32`] }, signin: { maxFailures: 2 } } })
    const from = fetchFrom(t, c.peer)
    const signin = async (i: number, name: string, password: string): Promise<number> => (await from(`${gw.url}/api/v2/signin`, {
      method: 'POST', headers: { authorization: basic(name, password), ...c.headers(i) }
    })).status
    for (const i of [0, 1]) assert.equal(await signin(i, `nobody${i}`, 'x'), 401, c.what)
    const failures = gw.logs.filter((l) => l.audit === 'signin' && l.result === 'failure').map((l) => l.ip)
    assert.deepEqual(failures, [c.ip(0), c.ip(1)], `${c.what}: the address logged`)
    // Two failures from one address ban it: a header naming a new address each time escapes only when believed.
    const banned = c.ip(0) === c.ip(1)
    assert.equal(await signin(2, ALICE.name, ALICE.password), banned ? 429 : 204, `${c.what}: throttled by ${c.ip(2)}`)
    await (await from(`${gw.url}/ping`, { headers: c.headers(3) })).arrayBuffer()
    const seen = gw.influx.last()?.headers
    const { xff, realIp } = c.upstream(3)
    assert.deepEqual({ xff: seen?.['x-forwarded-for'], realIp: seen?.['x-real-ip'], forwarded: seen?.forwarded }, { xff, realIp, forwarded: undefined }, c.what)
  }
})

test('an X-Forwarded-For entry with a port (Azure Application Gateway, IIS ARR) names the address alone: a new port is no new client', async (t) => {
  const gw = await startGateway(t, { config: { server: { trustProxy: ['127.0.0.1/32'] }, signin: { maxFailures: 2 } } })
  const guess = async (user: string, forwardedFor: string): Promise<number> => {
    const res = await fetch(`${gw.url}/api/v2/signin`, {
      method: 'POST', headers: { authorization: basic(user, 'guess'), 'x-forwarded-for': forwardedFor }
    })
    await res.arrayBuffer()
    return res.status
  }
  // One guess per user name (password spraying), each from a new source port of one address.
  assert.deepEqual([await guess('u1', '203.0.113.7:50001'), await guess('u2', '203.0.113.7:50002')], [401, 401])
  assert.equal(await guess('u3', '203.0.113.7:50003'), 429, 'the address is banned, whatever its port')
  assert.equal(await guess('u4', '[2001:db8::7]:50004'), 401)
  assert.equal(await guess('u5', '2001:db8::7'), 401)
  assert.equal(await guess('u6', '[2001:db8::8]:443'), 429, 'one /64, with or without brackets and port')
  const banned = gw.logs.filter((l) => l.audit === 'ban' && l.subject === 'ip').map((l) => l.ip)
  assert.deepEqual(banned, ['203.0.113.7', '2001:db8::7'])
})
