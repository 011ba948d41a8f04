import assert from 'node:assert/strict'
import { mock, test } from 'node:test'
import { signIn, startGateway } from '../helpers/gateway.ts'

test('GET /gateway/session tells the app who it is and when the session ends, without the upstream', async (t) => {
  const gw = await startGateway(t, { config: { session: { idleTimeout: '10m', absoluteTimeout: '8h' } } })
  const cookie = await signIn(gw)
  const signedIn = Date.now()
  const res = await fetch(`${gw.url}/gateway/session`, { headers: { cookie } })
  assert.equal(res.status, 200)
  const body = await res.json() as Record<string, string>
  assert.equal(body.user, 'alice')
  assert.ok(Math.abs(Date.parse(body.idleExpiresAt ?? '') - (signedIn + 600_000)) < 5000)
  assert.ok(Math.abs(Date.parse(body.absoluteExpiresAt ?? '') - (signedIn + 8 * 3600_000)) < 5000)
  assert.equal((await fetch(`${gw.url}/gateway/session`)).status, 401)
  for (const path of ['/gateway/nope', '/Gateway/session/x', '/gateway', '/%67ateway/other']) {
    assert.equal((await fetch(`${gw.url}${path}`, { headers: { cookie } })).status, 404, path)
  }
  assert.equal((await fetch(`${gw.url}//gateway/session`, { headers: { cookie } })).status, 400, 'ambiguous paths are refused')
  assert.equal((await fetch(`${gw.url}/gateway/session`, { method: 'POST', headers: { cookie } })).status, 405)
  assert.equal(gw.influx.requests.length, 0, 'nothing under the prefix is forwarded')
})

test('the reserved prefix is configurable', async (t) => {
  const gw = await startGateway(t, { config: { server: { gatewayPrefix: '/_gw/' } } })
  const cookie = await signIn(gw)
  assert.equal((await fetch(`${gw.url}/_gw/session`, { headers: { cookie } })).status, 200)
  assert.equal((await fetch(`${gw.url}/gateway/session`, { headers: { cookie } })).status, 200, 'now an ordinary path, forwarded')
  assert.equal(gw.influx.last()?.path, '/gateway/session')
})

test('onboarding is refused by default and allowed by upstream.allowSetup', async (t) => {
  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  for (const path of ['/api/v2/setup', '/api/v2/setup/user', '/API/v2/setup/', '/API/v2/%73etup']) {
    const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { cookie }, body: '{}' })
    assert.equal(res.status, 403, path)
    assert.equal((await res.json() as { code: string }).code, 'forbidden')
  }
  assert.equal((await fetch(`${gw.url}/api/v2/setup`)).status, 200, 'GET /api/v2/setup stays public')
  const open = await startGateway(t, { config: { upstream: { allowSetup: true } } })
  const res = await fetch(`${open.url}/api/v2/setup`, { method: 'POST', body: '{}' })
  assert.equal(res.status, 422, 'InfluxDB answered (already set up)')
  assert.equal(open.influx.last()?.path, '/api/v2/setup')
})

test('PUT /api/v2/me/password answers 501: passwords live in the gateway config', async (t) => {
  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  const res = await fetch(`${gw.url}/api/v2/me/password`, { method: 'PUT', headers: { cookie }, body: '{"password":"x"}' })
  assert.equal(res.status, 501)
  const body = await res.json() as { code: string, message: string }
  assert.equal(body.code, 'not implemented')
  assert.match(body.message, /gateway configuration/)
  assert.equal(gw.influx.requests.length, 0)
})

test('passive routes (UI polling of /api/v2/me) do not keep a forgotten tab alive', async (t) => {
  mock.timers.enable({ apis: ['Date'], now: Date.now() })
  t.after(() => mock.timers.reset())
  const gw = await startGateway(t, { config: { session: { idleTimeout: '10m' } } })
  const status = async (path: string, cookie: string): Promise<number> => (await fetch(`${gw.url}${path}`, { headers: { cookie } })).status
  const polled = await signIn(gw)
  const used = await signIn(gw)
  for (let minute = 1; minute <= 9; minute++) {
    mock.timers.tick(60_000)
    assert.equal(await status('/api/v2/me', polled), 200)
    assert.equal(await status('/api/v2/buckets', used), 200)
  }
  mock.timers.tick(60_000 + 1)
  assert.equal(await status('/api/v2/me', polled), 401, 'ten minutes of polling only: ended')
  assert.equal(await status('/api/v2/me', used), 200, 'real use renewed it')
})

test('/gateway/session ends the session of a user disabled or removed since sign-in', async (t) => {
  const gw = await startGateway(t)
  for (const change of ['disable', 'remove'] as const) {
    const cookie = await signIn(gw)
    const users = gw.deps.config.users
    gw.deps.applyConfig({ ...gw.deps.config, users: change === 'remove' ? [] : users.map((u) => ({ ...u, disabled: true })) })
    const res = await fetch(`${gw.url}/gateway/session`, { headers: { cookie } })
    assert.equal(res.status, 403, change)
    assert.deepEqual(await res.json(), { code: 'forbidden', message: 'User is inactive' })
    gw.deps.applyConfig({ ...gw.deps.config, users })
    assert.equal((await fetch(`${gw.url}/gateway/session`, { headers: { cookie } })).status, 401, 'the session was ended')
  }
})
