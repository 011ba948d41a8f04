/**
 * Forward auth with `mint` credentials: the answer carries the token minted for the session (what the
 * forwarder would send), and InfluxDB unable to mint one is a 503 (`error`), never a credential.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { signIn, startGateway, type TestUser } from '../helpers/gateway.ts'
import { fetchFrom, PROXY_ADDRESS } from '../helpers/peer.ts'
import { parsePrometheus, sampleValue } from '../helpers/prometheus.ts'

const MINT = { org: 'my-org', permissions: ['read:buckets', 'write:buckets/telemetry'] }
const MINTER: TestUser = { name: 'alice', password: 'correct horse battery staple', mint: MINT }
const AUTH_PROXY = { userHeader: 'Remote-User', groupsHeader: 'Remote-Groups', trustedProxies: [`${PROXY_ADDRESS}/32`] }

test('the answer carries the session\'s minted token; InfluxDB unable to mint one for a proxy identity is 503, counted as error', async (t) => {
  const gw = await startGateway(t, {
    users: [MINTER],
    access: [{ group: 'minters', mint: MINT }],
    influx: { tenancy: { users: ['alice', 'carol'], buckets: ['telemetry'] } },
    config: { forwardAuth: { trustedProxies: [`${PROXY_ADDRESS}/32`] }, authProxy: AUTH_PROXY }
  })
  const ingress = fetchFrom(t, PROXY_ADDRESS)
  const ask = async (headers: Record<string, string>): ReturnType<typeof ingress> =>
    await ingress(`${gw.url}/gateway/auth`, { headers: { 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/api/v2/buckets', ...headers } })
  const cookie = await signIn(gw)
  const [minted] = gw.influx.tenancy.authorizations()
  const res = await ask({ cookie })
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('authorization'), `Token ${minted?.token ?? '-'}`)
  gw.influx.failNext('POST', '/api/v2/authorizations', 1, 503)
  const down = await ask({ 'remote-user': 'carol', 'remote-groups': 'minters' })
  assert.equal(down.status, 503)
  assert.equal(down.headers.get('authorization'), null)
  const metrics = parsePrometheus(await (await fetch(`${gw.url}/gateway/metrics`)).text())
  assert.equal(sampleValue(metrics, 'influx_gateway_forward_auth_total', { outcome: 'error' }), 1)
  assert.equal(sampleValue(metrics, 'influx_gateway_forward_auth_total', { outcome: 'allowed' }), 1)
})
