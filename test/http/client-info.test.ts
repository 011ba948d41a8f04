import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { ALICE, basic, startGateway } from '../helpers/gateway.ts'

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
