import assert from 'node:assert/strict'
import { test } from 'node:test'
import { signIn, startGateway } from '../helpers/gateway.ts'
import { fetchFrom, PROXY_ADDRESS } from '../helpers/peer.ts'

const AUTH_PROXY = { userHeader: 'Remote-User', groupsHeader: 'Remote-Groups', trustedProxies: [`${PROXY_ADDRESS}/32`] }

test('/gateway/session reports a proxy identity (name and source, no session times), ahead of a cookie, under the access rules', async (t) => {
  const gw = await startGateway(t, { config: { authProxy: AUTH_PROXY }, access: [{ group: 'influx-writers', token: 'test-token' }] })
  const proxy = fetchFrom(t, PROXY_ADDRESS)
  const cookie = await signIn(gw)
  const res = await proxy(`${gw.url}/gateway/session`, { headers: { 'remote-user': 'carol', 'remote-groups': 'influx-writers', cookie } })
  assert.equal(res.status, 200)
  assert.deepEqual(await res.json(), { user: 'carol', source: 'proxy' })
  assert.equal((await proxy(`${gw.url}/gateway/session`, { headers: { 'remote-user': 'erin' } })).status, 403)
  const crossSite = await proxy(`${gw.url}/gateway/session`, { headers: { 'remote-user': 'carol', 'remote-groups': 'influx-writers', 'sec-fetch-site': 'cross-site' } })
  assert.equal(crossSite.status, 403)
  assert.equal(gw.influx.requests.length, 0, 'nothing under the prefix is forwarded')
})
