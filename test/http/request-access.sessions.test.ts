import assert from 'node:assert/strict'
import { mock, test } from 'node:test'
import { hashPassword } from '../../src/auth/password.ts'
import { createReloader } from '../../src/reload.ts'
import type { Config } from '../../src/config/schema.ts'
import { fetchRefused, signIn, startGateway, type TestGateway } from '../helpers/gateway.ts'

/** Applies a config change the way an operator does: a reload of a (here, in-memory) file. */
async function reload (gw: TestGateway, change: (c: Config) => Config): Promise<void> {
  const next = change(gw.deps.config)
  const reloader = createReloader({ deps: gw.deps, logger: gw.deps.logger, load: () => next })
  assert.equal(await reloader.reload('test'), true)
}

const buckets = async (gw: TestGateway, cookie: string): Promise<Response> => await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })

test('a password change ends the sessions signed in under the old password', async (t) => {
  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  const passwordHash = await hashPassword('a new password, long enough', { ln: 10, r: 8, p: 1 })
  await reload(gw, (c) => ({ ...c, users: c.users.map((u) => ({ ...u, passwordHash })) }))
  const before = gw.influx.requests.length
  const res = await buckets(gw, cookie)
  assert.equal(res.status, 401)
  assert.match(res.headers.get('set-cookie') ?? '', /Max-Age=0/, 'the dead cookie is cleared')
  assert.equal(gw.influx.requests.length, before, 'nothing reached InfluxDB')
  assert.ok(gw.logs.some((l) => l.audit === 'session' && l.reason === 'password changed' && l.user === 'alice'))
  const fresh = await signIn(gw, 'alice', 'a new password, long enough')
  assert.equal((await buckets(gw, fresh)).status, 200, 'a sign-in under the new password works')
})

test('disabling a user ends its sessions even when it is enabled again before their next request', async (t) => {
  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  const other = await signIn(gw)
  for (const disable of [(c: Config): Config => ({ ...c, users: c.users.map((u) => ({ ...u, disabled: true })) }), (c: Config): Config => ({ ...c, users: [] })]) {
    const users = gw.deps.config.users
    await reload(gw, disable)
    await reload(gw, (c) => ({ ...c, users }))
    assert.equal((await buckets(gw, cookie)).status, 401, 'ended')
    assert.equal((await buckets(gw, other)).status, 401, 'every session of the user')
  }
  assert.ok(gw.logs.some((l) => l.msg === 'sessions revoked' && l.reason === 'user disabled' && l.sessions === 2))
  assert.ok(gw.logs.some((l) => l.audit === 'session' && l.reason === 'user was disabled'))
  assert.equal(gw.influx.count('/api/v2/buckets'), 0)
  assert.equal((await buckets(gw, await signIn(gw))).status, 200, 'a new sign-in works')
})

test('a change that keeps the user\'s password and state keeps its sessions', async (t) => {
  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  await reload(gw, (c) => ({ ...c, users: c.users.map((u) => ({ ...u, token: 'rotated-token' })) }))
  await buckets(gw, cookie) // the double refuses the new token: its 401, after forwarding
  assert.equal(gw.influx.last()?.headers.authorization, 'Token rotated-token')
  assert.equal(gw.influx.count('/api/v2/buckets'), 1)
})

test('HEAD on a passive route renews the session no more than GET does', async (t) => {
  mock.timers.enable({ apis: ['Date'], now: Date.now() })
  t.after(() => mock.timers.reset())
  const gw = await startGateway(t, { config: { session: { idleTimeout: '10m' } } })
  const cookie = await signIn(gw)
  const head = async (): Promise<number> => (await fetch(`${gw.url}/api/v2/me`, { method: 'HEAD', headers: { cookie } })).status
  for (let i = 1; i <= 2; i++) {
    mock.timers.tick(4 * 60_000)
    await head()
    assert.equal(gw.influx.count('/api/v2/me'), i, `forwarded at ${4 * i} min`)
  }
  mock.timers.tick(4 * 60_000)
  assert.equal(await head(), 401, '12 minutes of HEAD polling only: ended (renewed at 8, it would live)')
  assert.equal(gw.influx.count('/api/v2/me'), 2)
})

test('junk cookies of our name tossed in front of the real one do not sign the user out', async (t) => {
  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  const junk = Array.from({ length: 12 }, (_, i) => `influxdb-oss-session=${String(i).padStart(43, 'A')}`)
  const res = await buckets(gw, [...junk, 'influxdb-oss-session=short', cookie].join('; '))
  assert.equal(res.status, 200)
  assert.equal(gw.influx.last()?.headers.cookie, undefined, 'none of them goes upstream')
})

test('a __Host- cookie name for HTTPS deployments', async (t) => {
  const name = '__Host-influxdb-oss-session'
  const gw = await startGateway(t, { config: { session: { cookie: { name, secure: 'always' } } } })
  const res = await fetch(`${gw.url}/api/v2/signin`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from('alice:correct horse battery staple').toString('base64')}` } })
  const setCookie = res.headers.get('set-cookie') ?? ''
  assert.match(setCookie, /^__Host-influxdb-oss-session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Secure; Expires=/)
  const cookie = setCookie.split(';')[0] as string
  assert.equal((await buckets(gw, cookie)).status, 200)
  await fetchRefused(gw, '/api/v2/buckets', { headers: { cookie: cookie.replace(name, 'influxdb-oss-session') } }, 401, 'only the configured name counts')
})

test('a reload that shortens idleTimeout ends sessions already idle longer than the new one', async (t) => {
  mock.timers.enable({ apis: ['Date'], now: Date.now() })
  t.after(() => mock.timers.reset())
  const gw = await startGateway(t, { config: { session: { idleTimeout: '30m' } } })
  const idle = await signIn(gw)
  const busy = await signIn(gw)
  mock.timers.tick(10 * 60_000)
  assert.equal((await buckets(gw, busy)).status, 200, 'used at minute 10')
  mock.timers.tick(60_000)
  await reload(gw, (c) => ({ ...c, session: { ...c.session, idleTimeout: 2 * 60_000 } }))
  const before = gw.influx.requests.length
  assert.equal((await buckets(gw, idle)).status, 401, 'idle for 11 minutes: over the new 2')
  assert.equal(gw.influx.requests.length, before, 'not forwarded')
  assert.equal((await buckets(gw, busy)).status, 200, 'used a minute ago: still within the new 2')
  const session = await (await fetch(`${gw.url}/gateway/session`, { headers: { cookie: busy } })).json() as { idleExpiresAt: string }
  assert.equal(Date.parse(session.idleExpiresAt), Date.now() + 2 * 60_000, 'and its idle expiry follows the new timeout')
})
