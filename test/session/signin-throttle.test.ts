import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import { syncBuiltinESMExports } from 'node:module'
import { mock, test, type TestContext } from 'node:test'
import { ALICE, basic, startGateway } from '../helpers/gateway.ts'
import { parsePrometheus, sampleValue } from '../helpers/prometheus.ts'
import { crowd, signInTogether } from '../helpers/sign-in-crowd.ts'

const BOB = { name: 'bob', password: 'bob-password', token: 'test-token' }

async function attempt (url: string, name: string, password: string, headers: Record<string, string> = {}): Promise<Response> {
  return await fetch(`${url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic(name, password), ...headers } })
}

test('after maxFailures failures a user name is banned for banTime, even with the right password', async (t) => {
  mock.timers.enable({ apis: ['Date'], now: Date.now() })
  t.after(() => mock.timers.reset())
  const gw = await startGateway(t, {
    users: [ALICE, BOB],
    config: { server: { trustProxy: ['127.0.0.1/32'] }, signin: { maxFailures: 3, findTime: '2m', banTime: '5m' } }
  })
  // Each attempt from another address, so only the user-name counter is in play.
  const from = (i: number): Record<string, string> => ({ 'x-forwarded-for': `198.51.100.${i}` })
  for (let i = 0; i < 3; i++) assert.equal((await attempt(gw.url, 'alice', 'wrong', from(i))).status, 401)
  const banned = await attempt(gw.url, 'alice', ALICE.password, from(9))
  assert.equal(banned.status, 429)
  assert.deepEqual(await banned.json(), { code: 'too many requests', message: 'too many failed sign-ins; retry later' })
  assert.equal(banned.headers.get('retry-after'), '300')
  assert.equal(banned.headers.get('x-platform-error-code'), 'too many requests')
  assert.equal((await attempt(gw.url, 'bob', BOB.password, from(9))).status, 204, 'other users are not affected')

  mock.timers.tick(4 * 60_000)
  assert.equal((await attempt(gw.url, 'alice', ALICE.password, from(10))).headers.get('retry-after'), '60')
  mock.timers.tick(60_000 + 1)
  assert.equal((await attempt(gw.url, 'alice', ALICE.password, from(11))).status, 204, 'the ban is over')

  const ban = gw.logs.find((l) => l.audit === 'ban')
  assert.deepEqual({ subject: ban?.subject, user: ban?.user, banMs: ban?.banMs }, { subject: 'user', user: 'alice', banMs: 300_000 })
  const metrics = parsePrometheus(await gw.deps.metrics.registry.metrics())
  assert.equal(sampleValue(metrics, 'influx_gateway_signins_total', { outcome: 'throttled' }), 2)
})

test('failures only count within findTime, and a success resets the user\'s count', async (t) => {
  mock.timers.enable({ apis: ['Date'], now: Date.now() })
  t.after(() => mock.timers.reset())
  const gw = await startGateway(t, { config: { server: { trustProxy: ['127.0.0.1/32'] }, signin: { maxFailures: 3, findTime: '2m' } } })
  let n = 0
  const tryAs = async (password: string): Promise<number> =>
    (await attempt(gw.url, 'alice', password, { 'x-forwarded-for': `198.51.100.${n++}` })).status
  for (let i = 0; i < 2; i++) assert.equal(await tryAs('wrong'), 401)
  mock.timers.tick(2 * 60_000 + 1)
  for (let i = 0; i < 2; i++) assert.equal(await tryAs('wrong'), 401)
  assert.equal(await tryAs(ALICE.password), 204, 'the first two fell out of the window')
  for (let i = 0; i < 2; i++) assert.equal(await tryAs('wrong'), 401)
  assert.equal(await tryAs(ALICE.password), 204, 'the success reset the count')
  assert.equal(await tryAs('wrong'), 401)
  assert.equal(await tryAs('wrong'), 401)
  assert.equal(await tryAs('wrong'), 401)
  assert.equal(await tryAs(ALICE.password), 429, 'three in a row do ban')
})

test('one client address spraying user names is banned too; unknown names and garbage count', async (t) => {
  const gw = await startGateway(t, { config: { signin: { maxFailures: 4 } } })
  assert.equal((await attempt(gw.url, 'mallory', 'x')).status, 401)
  assert.equal((await attempt(gw.url, 'eve', 'x')).status, 401)
  assert.equal((await fetch(`${gw.url}/api/v2/signin`, { method: 'POST', headers: { authorization: 'Basic !!!' } })).status, 401)
  assert.equal((await attempt(gw.url, 'trudy', 'x')).status, 401)
  const res = await attempt(gw.url, 'alice', ALICE.password)
  assert.equal(res.status, 429, 'the address is banned, whatever the name')
  const ban = gw.logs.find((l) => l.audit === 'ban')
  assert.deepEqual({ subject: ban?.subject, ip: ban?.ip }, { subject: 'ip', ip: '127.0.0.1' })
  assert.ok(!gw.logText().includes('mallory') && !gw.logText().includes('trudy'), 'names that are not users are never logged')
})

test('X-Forwarded-For only counts from a trusted proxy', async (t) => {
  const gw = await startGateway(t, { config: { signin: { maxFailures: 2 } } })
  for (let i = 0; i < 2; i++) await attempt(gw.url, `nobody${i}`, 'x', { 'x-forwarded-for': `203.0.113.${i}` })
  assert.equal((await attempt(gw.url, 'alice', ALICE.password, { 'x-forwarded-for': '203.0.113.99' })).status, 429, 'a spoofed header does not escape the ban')
})

test('maxFailures: 0 disables throttling', async (t) => {
  const gw = await startGateway(t, { config: { signin: { maxFailures: 0 } } })
  for (let i = 0; i < 8; i++) assert.equal((await attempt(gw.url, 'alice', 'wrong')).status, 401)
  assert.equal((await attempt(gw.url, 'alice', ALICE.password)).status, 204)
})

/**
 * Every scrypt the process runs from now until the test ends, with its cost (N, r, p). Spies on node:crypto's
 * `scrypt` itself (synced into the ESM named export the password module imported), so nothing in the gateway
 * is swapped out: the hash still runs, it is only counted.
 */
function countScrypt (t: TestContext): Array<{ N: number, r: number, p: number }> {
  const calls: Array<{ N: number, r: number, p: number }> = []
  const real = crypto.scrypt
  t.mock.method(crypto, 'scrypt', function (this: unknown, ...args: Parameters<typeof crypto.scrypt>) {
    const options = (typeof args[3] === 'object' ? args[3] : {}) as crypto.ScryptOptions
    calls.push({ N: options.N ?? options.cost ?? 0, r: options.r ?? options.blockSize ?? 0, p: options.p ?? options.parallelization ?? 0 })
    return (real as (...a: unknown[]) => void).apply(this, args)
  })
  syncBuiltinESMExports()
  t.after(() => { t.mock.restoreAll(); syncBuiltinESMExports() })
  return calls
}

test('an unknown user costs the same hash as a wrong password, and both answer byte-identical 401s', async (t) => {
  const gw = await startGateway(t, { config: { signin: { maxFailures: 0 } } })
  const answer = async (name: string): Promise<{ status: number, body: string, headers: string }> => {
    const res = await attempt(gw.url, name, 'wrong password')
    const headers = [...res.headers].filter(([k]) => k !== 'date' && k !== 'x-request-id').map(([k, v]) => `${k}: ${v}`).join('\n')
    return { status: res.status, body: await res.text(), headers }
  }
  const scrypts = countScrypt(t)
  const known = await answer('alice')
  assert.equal(scrypts.length, 1, 'a wrong password is hashed once')
  const unknown = await answer('nobody-at-all')
  assert.deepEqual(unknown, known)
  // No timing here: the proof that the unknown user cannot be told apart by time is that the same work is done.
  assert.equal(scrypts.length, 2, 'an unknown user is hashed too (against the dummy hash)')
  assert.deepEqual(scrypts[1], scrypts[0], 'at the same cost as the configured user\'s hash')
  assert.ok((scrypts[0]?.N ?? 0) >= 1024, `a real scrypt cost (N=${scrypts[0]?.N})`)
})

test('concurrent guesses cannot slip past the limit: attempts are counted before the hash', async (t) => {
  const gw = await startGateway(t, { config: { server: { trustProxy: ['127.0.0.1/32'] }, signin: { maxFailures: 3, maxConcurrentHashes: 1 } } })
  const guesses = Array.from({ length: 20 }, (_, i) => attempt(gw.url, 'alice', i === 12 ? ALICE.password : `guess-${i}`, { 'x-forwarded-for': `198.51.100.${i}` }))
  const statuses = await Promise.all(guesses.map(async (r) => (await r).status))
  assert.equal(statuses.filter((s) => s === 401 || s === 204).length, 3, `only three were checked: ${statuses.join(',')}`)
  assert.equal(statuses.filter((s) => s === 429).length, 17)
  assert.equal((await attempt(gw.url, 'alice', ALICE.password, { 'x-forwarded-for': '198.51.100.99' })).status, 429, 'banned now')
})

test('IPv6 clients are counted per /64', async () => {
  const { addressSubject } = await import('../../src/session/signin-throttle.ts')
  assert.equal(addressSubject('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64')
  assert.equal(addressSubject('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64')
  assert.equal(addressSubject('2001:db8::7'), '2001:db8:0:0::/64')
  assert.equal(addressSubject('::1'), '0:0:0:0::/64')
  assert.equal(addressSubject('198.51.100.7'), '198.51.100.7')
})

test('twenty people behind one address signing in at once are never banned (right passwords only count in flight)', async (t) => {
  const users = crowd(20)
  const gw = await startGateway(t, { users, config: { signin: { maxFailures: 5, banTime: '5m' } } })
  const refused = await signInTogether(gw.url, users)
  for (const res of refused) {
    assert.equal(res.status, 429)
    assert.equal(res.headers.get('retry-after'), '1', 'a retry in a second, not a five-minute ban')
    assert.deepEqual(await res.json(), { code: 'too many requests', message: 'too many sign-ins in progress; retry shortly' })
  }
  assert.equal(gw.logs.filter((l) => l.audit === 'ban').length, 0, 'no ban')
  assert.equal((await attempt(gw.url, 'user3', users[3]?.password ?? '')).status, 204, 'and none follows')
  const metrics = parsePrometheus(await gw.deps.metrics.registry.metrics())
  assert.equal(sampleValue(metrics, 'influx_gateway_signins_total', { outcome: 'throttled' }), 0)
  assert.equal(sampleValue(metrics, 'influx_gateway_signins_total', { outcome: 'busy' }), refused.length)
})

test('concurrent wrong passwords from one address: only maxFailures are checked, then the address is banned', async (t) => {
  const gw = await startGateway(t, { config: { signin: { maxFailures: 4, maxConcurrentHashes: 1 } } })
  const statuses = await Promise.all(Array.from({ length: 20 }, async (_, i) => (await attempt(gw.url, `guess${i}`, 'wrong')).status))
  assert.equal(statuses.filter((s) => s === 401).length, 4, `only four were checked: ${statuses.join(',')}`)
  assert.equal(statuses.filter((s) => s === 429).length, 16)
  const banned = await attempt(gw.url, 'alice', ALICE.password)
  assert.equal(banned.status, 429, 'banned now, the right password included')
  assert.equal(banned.headers.get('retry-after'), '300')
})

test('an attempt that is neither success nor failure (a disabled user) gives its slot back and counts nothing', async (t) => {
  const gw = await startGateway(t, { users: [ALICE, { ...BOB, disabled: true }], config: { signin: { maxFailures: 2 } } })
  for (let i = 0; i < 6; i++) assert.equal((await attempt(gw.url, 'bob', BOB.password)).status, 403)
  assert.equal((await attempt(gw.url, 'alice', ALICE.password)).status, 204)
  assert.equal(gw.logs.filter((l) => l.audit === 'ban').length, 0)
})
