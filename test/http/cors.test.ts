import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fetchRefused, signIn, startGateway } from '../helpers/gateway.ts'

const APP = 'http://127.0.0.1:3000'
const EVIL = 'http://127.0.0.1:6666'

test('the gateway answers preflights itself: a grant for listed origins, none for others', async (t) => {
  const gw = await startGateway(t, { config: { cors: { origins: [APP] } } })
  const preflight = (origin: string): Promise<Response> => fetch(`${gw.url}/api/v2/signin`, {
    method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' }
  })
  const ok = await preflight(APP)
  assert.equal(ok.status, 204)
  assert.equal(ok.headers.get('access-control-allow-origin'), APP)
  assert.equal(ok.headers.get('access-control-allow-credentials'), 'true')
  assert.match(ok.headers.get('access-control-allow-methods') ?? '', /POST.*GET.*OPTIONS.*PUT.*PATCH.*DELETE/)
  assert.match(ok.headers.get('access-control-allow-headers') ?? '', /Authorization.*Zap-Trace-Span/)
  assert.match(ok.headers.get('vary') ?? '', /Origin/)
  const no = await preflight(EVIL)
  assert.equal(no.status, 204)
  assert.equal(no.headers.get('access-control-allow-origin'), null)
  assert.equal(no.headers.get('access-control-allow-credentials'), null)
  assert.equal(gw.influx.requests.length, 0, 'no preflight reaches InfluxDB, which would grant any origin')
})

test('actual responses carry the gateway\'s grant, replacing InfluxDB\'s own', async (t) => {
  const gw = await startGateway(t, { config: { cors: { origins: [APP] } } })
  const cookie = await signIn(gw)
  const listed = await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie, origin: APP } })
  assert.equal(listed.status, 200)
  assert.equal(gw.influx.last()?.headers.origin, APP)
  assert.equal(listed.headers.get('access-control-allow-origin'), APP)
  assert.equal(listed.headers.get('access-control-allow-credentials'), 'true')
  assert.equal(listed.headers.get('access-control-allow-methods'), null, 'InfluxDB\'s headers are gone')
  assert.match(listed.headers.get('access-control-expose-headers') ?? '', /X-Platform-Error-Code/)
  const unlisted = await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie, origin: EVIL } })
  assert.equal(unlisted.headers.get('access-control-allow-origin'), null, 'InfluxDB echoed the origin; the gateway dropped it')
  const error = await fetchRefused(gw, '/api/v2/buckets', { headers: { origin: APP } })
  assert.equal(error.headers.get('access-control-allow-origin'), APP, 'apps can read the gateway\'s errors too')
})

test('an upstream Vary keeps Origin in it when CORS is in play', async (t) => {
  const gw = await startGateway(t, { config: { cors: { origins: [APP] } } })
  const cookie = await signIn(gw)
  const res = await fetch(`${gw.url}/test/hop`, { headers: { cookie, origin: APP } })
  assert.equal(res.headers.get('vary'), 'Accept-Encoding, Origin')
  assert.equal(res.headers.get('access-control-allow-origin'), APP)
})
