import assert from 'node:assert/strict'
import { request } from 'node:http'
import { mock, test } from 'node:test'
import { fetchRefused, signIn, startGateway } from '../helpers/gateway.ts'

/**
 * One request with exactly these headers (fetch() adds its own `Sec-Fetch-Mode: cors`); resolves with the
 * status and the body.
 */
function send (url: string, headers: Record<string, string>, method = 'GET'): Promise<{ status: number, body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let body = ''
      res.on('data', (d) => { body += String(d) })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

const APP = 'http://127.0.0.1:3000'
const EVIL = 'http://127.0.0.1:6666'
const DROP = '/query?q=DROP+DATABASE+victim'

/** What Chromium sent for the attacks: an image, a no-cors fetch, a navigation of the whole tab, a frame. */
const IMAGE = { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image', referer: `${EVIL}/` }
const NO_CORS = { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'empty', referer: `${EVIL}/` }
const NAVIGATE = { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document', referer: `${EVIL}/` }
const FRAME = { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'iframe', referer: `${EVIL}/` }

test('every request carrying the session cookie is checked, whatever its method: cross-site reads are refused before InfluxDB', async (t) => {
  const gw = await startGateway(t, { config: { cors: { origins: [APP] } } })
  const cookie = await signIn(gw)
  const refused: Array<[string, string, Record<string, string>]> = [
    ['GET', DROP, IMAGE], ['GET', DROP, NO_CORS], ['GET', DROP, NAVIGATE], ['HEAD', DROP, NAVIGATE],
    ['GET', '/api/v2/buckets', NAVIGATE], ['GET', '/debug/vars', NAVIGATE], ['GET', '/orgs/1', FRAME],
    ['GET', '/orgs/1', IMAGE], ['POST', '/orgs/1', NAVIGATE], ['GET', DROP, { 'sec-fetch-site': 'cross-site' }],
    ['GET', DROP, { 'sec-fetch-site': 'Same-Site', 'sec-fetch-mode': 'CORS', origin: EVIL }],
    ['GET', DROP, { referer: `${EVIL}/page` }], ['GET', DROP, { origin: EVIL }], ['GET', DROP, { origin: 'null' }],
    ['GET', DROP, { referer: 'not a url' }], ['GET', '/gateway/session', NO_CORS]
  ]
  for (const [method, path, headers] of refused) {
    const res = await send(`${gw.url}${path}`, { cookie, ...headers }, method)
    assert.equal(res.status, 403, `${method} ${path} ${JSON.stringify(headers)}`)
    if (method !== 'HEAD') assert.deepEqual(JSON.parse(res.body), { code: 'forbidden', message: 'cross-site request refused' })
  }
  assert.deepEqual(gw.influx.requests, [], 'nothing reached InfluxDB')

  const allowed: Array<[string, Record<string, string>]> = [
    [DROP, { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors' }], [DROP, { 'sec-fetch-site': 'SAME-ORIGIN' }],
    [DROP, { 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }],
    [DROP, { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors', origin: APP }], [DROP, { referer: `${APP}/dashboards` }],
    [DROP, {}], [DROP, { origin: gw.url }], [DROP, { origin: gw.url.toUpperCase() }], [DROP, { referer: `${gw.url}/orgs/1` }],
    ['/orgs/1', NAVIGATE], ['/orgs/1', { ...NAVIGATE, 'sec-fetch-mode': 'Navigate', 'sec-fetch-dest': 'Document' }]
  ]
  for (const [path, headers] of allowed) {
    const res = await send(`${gw.url}${path}`, { cookie, ...headers })
    assert.equal(res.status, 200, `${path} ${JSON.stringify(headers)}`)
    assert.equal(gw.influx.last()?.headers.authorization, 'Token test-token')
  }
})

test('a protected route spelled with escapes is no UI page: a cross-site navigation to it is refused, a junk token does not open it', async (t) => {
  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  // A router on Go's decoded path takes `/%71uery` for `/query` (influxd 1.x does so for `/debu%67/vars`).
  for (const path of ['/%71uery?q=DROP+DATABASE+victim', '/%61pi/v2/buckets', '/%51UERY?q=DROP+DATABASE+victim']) {
    const res = await send(`${gw.url}${path}`, { cookie, ...NAVIGATE })
    assert.equal(res.status, 403, path)
  }
  const junk = await send(`${gw.url}/debu%67/vars`, { authorization: 'Token junk' })
  assert.equal(junk.status, 401, 'a session-only route needs a session, whatever its spelling')
  assert.deepEqual(gw.influx.requests, [], 'nothing reached InfluxDB')
})

test('a refused cross-site request, read or write, neither renews nor ends the session', async (t) => {
  mock.timers.enable({ apis: ['Date'], now: Date.now() })
  t.after(() => mock.timers.reset())
  const gw = await startGateway(t, { config: { session: { idleTimeout: '10m' } } })
  const attacks: Array<() => Promise<{ status: number }>> = [
    async () => await send(`${gw.url}${DROP}`, { cookie, ...IMAGE }),
    async () => await fetch(`${gw.url}/api/v2/write?org=o&bucket=b`, { method: 'POST', headers: { cookie, origin: EVIL }, body: 'm v=1' })
  ]
  let cookie = ''
  for (const attack of attacks) {
    cookie = await signIn(gw)
    assert.equal((await attack()).status, 403)
    assert.equal((await fetch(`${gw.url}/gateway/session`, { headers: { cookie } })).status, 200, 'not ended by the refusal')
    for (let i = 0; i < 3; i++) {
      mock.timers.tick(4 * 60_000)
      assert.equal((await attack()).status, 403)
    }
    await fetchRefused(gw, '/api/v2/buckets', { headers: { cookie } }, 401, '12 minutes without a real request: not renewed')
  }
  assert.equal(gw.influx.count('/query') + gw.influx.count('/api/v2/write'), 0)
})

test('without the session cookie the rule does not apply: public pages load from anywhere', async (t) => {
  const gw = await startGateway(t)
  assert.equal((await send(`${gw.url}/orgs/1`, IMAGE)).status, 200)
  assert.equal((await send(`${gw.url}/ping`, NO_CORS)).status, 204)
  const refused = await send(`${gw.url}${DROP}`, IMAGE)
  assert.equal(refused.status, 401, 'and protected routes still need a session')
  assert.equal(gw.influx.count('/query'), 0)
})
