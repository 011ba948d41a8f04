import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ALICE, basic, signIn, startGateway } from '../helpers/gateway.ts'
import { fetchFrom, PROXY_ADDRESS } from '../helpers/peer.ts'

const AUTH_PROXY = { userHeader: 'Remote-User', groupsHeader: 'Remote-Groups', trustedProxies: [`${PROXY_ADDRESS}/32`] }
const ACCESS = [{ group: 'influx-writers', token: 'test-token' }]
const CAROL = { 'remote-user': 'carol', 'remote-groups': 'influx-writers' }

test('sign-in from a proxy identity answers 204 without a session or cookie; Basic is not even read', async (t) => {
  const gw = await startGateway(t, { config: { authProxy: AUTH_PROXY }, access: ACCESS })
  const proxy = fetchFrom(t, PROXY_ADDRESS)
  for (const authorization of [basic(ALICE.name, ALICE.password), basic('carol', 'wrong')]) {
    const res = await proxy(`${gw.url}/api/v2/signin`, { method: 'POST', headers: { ...CAROL, authorization } })
    assert.equal(res.status, 204)
    assert.equal(res.headers.get('set-cookie'), null)
  }
  assert.equal(await gw.deps.sessions.count(), 0)
  await gw.waitForLog((l) => l.audit === 'signin' && l.result === 'proxy identity' && l.user === 'carol' && l.source === 'proxy')
  const noAccess = await proxy(`${gw.url}/api/v2/signin`, { method: 'POST', headers: { 'remote-user': 'erin' } })
  assert.equal(noAccess.status, 403, 'no rule, no sign-in')
  const crossSite = await proxy(`${gw.url}/api/v2/signin`, { method: 'POST', headers: { ...CAROL, origin: 'http://127.0.0.1:6666' } })
  assert.equal(crossSite.status, 403)
})

test('sign-out from a proxy identity answers 204 (the UI expects it), ends a cookie session sent along, and says so', async (t) => {
  const gw = await startGateway(t, { config: { authProxy: AUTH_PROXY }, access: ACCESS })
  const proxy = fetchFrom(t, PROXY_ADDRESS)
  const bare = await proxy(`${gw.url}/api/v2/signout`, { method: 'POST', headers: CAROL })
  assert.equal(bare.status, 204)
  assert.match(bare.headers.get('set-cookie') ?? '', /^influxdb-oss-session=; /, 'the cookie is cleared as always')
  await gw.waitForLog((l) => l.audit === 'signout' && l.result === 'proxy identity' && l.user === 'carol')
  const cookie = await signIn(gw)
  assert.equal((await proxy(`${gw.url}/api/v2/signout`, { method: 'POST', headers: { ...CAROL, cookie } })).status, 204)
  assert.equal((await fetch(`${gw.url}/api/v2/me`, { headers: { cookie } })).status, 401, 'the cookie session is gone')
  assert.equal((await proxy(`${gw.url}/api/v2/signout`, { method: 'POST' })).status, 401, 'without either, the usual 401')
})
