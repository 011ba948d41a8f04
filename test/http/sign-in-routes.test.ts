import assert from 'node:assert/strict'
import { request } from 'node:http'
import { test } from 'node:test'
import { ALICE, basic, fetchRefused, signIn, startGateway, type TestGateway } from '../helpers/gateway.ts'

const BOB = { name: 'bob', password: 'bob-password', token: 'bob-token', disabled: true }
const UNAUTHORIZED = '{"code":"unauthorized","message":"unauthorized access"}'

async function post (url: string, headers: Record<string, string> = {}, body?: string): Promise<Response> {
  return await fetch(url, { method: 'POST', headers, body })
}

/** A POST the gateway must answer itself with `status` (nothing reaches InfluxDB). */
async function postRefused (gw: TestGateway, path: string, headers: Record<string, string>, status = 401): Promise<Response> {
  return await fetchRefused(gw, path, { method: 'POST', headers }, status, `POST ${path} ${JSON.stringify(headers)}`)
}

/** Everything a client can see of a response but the Date and the request id: status, every header, body. */
async function observable (res: Response): Promise<{ status: number, headers: Array<[string, string]>, body: string }> {
  const headers = [...res.headers].filter(([name]) => name !== 'date' && name !== 'x-request-id')
  return { status: res.status, headers, body: await res.text() }
}

test('sign-in answers 204 with InfluxDB\'s session cookie, Path=/, and no body', async (t) => {
  const gw = await startGateway(t)
  const res = await post(`${gw.url}/api/v2/signin`, { authorization: basic(ALICE.name, ALICE.password) })
  assert.equal(res.status, 204)
  assert.equal(await res.text(), '')
  const cookie = res.headers.get('set-cookie') ?? ''
  assert.match(cookie, /^influxdb-oss-session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Expires=[^;]+$/)
  const expires = Date.parse(/Expires=([^;]+)/.exec(cookie)?.[1] ?? '')
  assert.ok(Math.abs(expires - (Date.now() + 8 * 3600_000)) < 5000, 'the cookie lives as long as the absolute timeout')
  assert.equal(gw.influx.requests.length, 0, 'sign-in never reaches InfluxDB')
})

test('every sign-in failure is the same 401', async (t) => {
  const gw = await startGateway(t, { users: [ALICE, BOB], config: { signin: { maxFailures: 0 } } })
  const attempts: Array<Record<string, string>> = [
    {},
    { authorization: 'Bearer something' },
    { authorization: 'Basic %%%notbase64' },
    { authorization: basic('mallory', ALICE.password) },
    { authorization: basic(ALICE.name, 'wrong') },
    { authorization: basic(BOB.name, 'wrong') }
  ]
  const first = await observable(await postRefused(gw, '/api/v2/signin', attempts[0] as Record<string, string>))
  assert.equal(first.body, UNAUTHORIZED)
  assert.deepEqual(Object.fromEntries(first.headers), {
    connection: 'keep-alive',
    'content-length': String(UNAUTHORIZED.length),
    'content-type': 'application/json; charset=utf-8',
    'keep-alive': 'timeout=5',
    vary: 'Origin',
    'x-platform-error-code': 'unauthorized'
  }, 'no Set-Cookie, nothing that differs by cause')
  for (const headers of attempts.slice(1)) {
    assert.deepEqual(await observable(await postRefused(gw, '/api/v2/signin', headers)), first, JSON.stringify(headers))
  }
})

test('a disabled user with the right password gets 403', async (t) => {
  const gw = await startGateway(t, { users: [ALICE, BOB] })
  const res = await post(`${gw.url}/api/v2/signin`, { authorization: basic(BOB.name, BOB.password) })
  assert.equal(res.status, 403)
  assert.deepEqual(await res.json(), { code: 'forbidden', message: 'User is inactive' })
})

test('other methods on the sign-in and sign-out routes get 405', async (t) => {
  const gw = await startGateway(t)
  for (const path of ['/api/v2/signin', '/api/v2/signout']) {
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
      const res = await fetch(`${gw.url}${path}`, { method })
      assert.equal(res.status, 405, `${method} ${path}`)
      assert.equal(res.headers.get('allow'), 'POST')
      assert.deepEqual(await res.json(), { code: 'method not allowed', message: 'method not allowed' })
    }
  }
  assert.equal(gw.influx.requests.length, 0)
})

test('every sign-in issues a new session and ends the one sent along', async (t) => {
  const gw = await startGateway(t)
  const first = await signIn(gw)
  const res = await post(`${gw.url}/api/v2/signin`, { authorization: basic(ALICE.name, ALICE.password), cookie: first })
  assert.equal(res.status, 204)
  const second = (res.headers.get('set-cookie') ?? '').split(';')[0] as string
  assert.notEqual(second, first)
  await fetchRefused(gw, '/api/v2/buckets', { headers: { cookie: first } }, 401, 'old session ended')
  assert.equal((await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie: second } })).status, 200)
})

test('a failed sign-in also ends the session sent along', async (t) => {
  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  await postRefused(gw, '/api/v2/signin', { authorization: basic(ALICE.name, 'nope'), cookie })
  await fetchRefused(gw, '/api/v2/buckets', { headers: { cookie } })
})

test('sign-out ends the session server-side and clears the cookie', async (t) => {
  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  const res = await post(`${gw.url}/api/v2/signout`, { cookie })
  assert.equal(res.status, 204)
  assert.match(res.headers.get('set-cookie') ?? '', /^influxdb-oss-session=; Path=\/; HttpOnly; SameSite=Strict; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0$/)
  await fetchRefused(gw, '/api/v2/buckets', { headers: { cookie } }, 401, 'the old cookie is dead even if replayed')
  const again = await postRefused(gw, '/api/v2/signout', { cookie })
  assert.match(again.headers.get('set-cookie') ?? '', /Max-Age=0/, 'cleared anyway')
})

test('sign-out without a session is the same 401 and still clears the cookie', async (t) => {
  const gw = await startGateway(t)
  for (const cookie of [undefined, 'influxdb-oss-session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'influxdb-oss-session=garbage']) {
    const res = await postRefused(gw, '/api/v2/signout', cookie === undefined ? {} : { cookie })
    assert.equal(await res.text(), UNAUTHORIZED)
    assert.match(res.headers.get('set-cookie') ?? '', /^influxdb-oss-session=;.*Max-Age=0$/)
  }
})

test('an oversized sign-in body gets 413 and oversized headers 431, never 500', async (t) => {
  const gw = await startGateway(t)
  const big = await post(`${gw.url}/api/v2/signin`, { authorization: basic(ALICE.name, ALICE.password) }, 'x'.repeat(64 * 1024))
  assert.equal(big.status, 413)
  assert.equal((await big.json() as { code: string }).code, 'request too large')
  const chunked = await rawStatus(gw.url, '/api/v2/signin', { 'transfer-encoding': 'chunked' }, 'y'.repeat(8192))
  assert.equal(chunked, 413)
  const huge = await fetch(`${gw.url}/api/v2/signin`, { method: 'POST', headers: { 'x-filler': 'z'.repeat(20_000) } })
  assert.equal(huge.status, 431)
  assert.deepEqual(await huge.json(), { code: 'request too large', message: 'request header fields too large' })
  assert.equal(huge.headers.get('x-platform-error-code'), 'request too large')
})

/** A request written with node:http, to control framing (chunked bodies). */
function rawStatus (base: string, path: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: 'POST', headers }, (res) => { res.resume(); resolve(res.statusCode ?? 0) })
    req.on('error', reject)
    req.end(body)
  })
}

test('audit lines record sign-in, failure and sign-out without any secret', async (t) => {
  const gw = await startGateway(t)
  await post(`${gw.url}/api/v2/signin`, { authorization: basic('mallory', 'typo-password-in-name') })
  await post(`${gw.url}/api/v2/signin`, { authorization: basic(ALICE.name, 'wrong-password') })
  const cookie = await signIn(gw)
  await post(`${gw.url}/api/v2/signout`, { cookie })
  const audit = gw.logs.filter((l) => l.audit !== undefined).map((l) => [l.audit, l.msg, l.user, l.reason])
  assert.deepEqual(audit, [
    ['signin', 'sign-in failed', undefined, 'unknown user'],
    ['signin', 'sign-in failed', 'alice', 'wrong password'],
    ['signin', 'signed in', 'alice', undefined],
    ['signout', 'signed out', 'alice', undefined]
  ])
  const text = gw.logText()
  for (const secret of [ALICE.password, 'wrong-password', 'typo-password-in-name', 'mallory', cookie.split('=')[1] as string, ALICE.token as string]) {
    assert.ok(!text.includes(secret), `log leaks ${secret}`)
  }
})
