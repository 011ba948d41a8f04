import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fetchRefused, signIn, startGateway } from '../helpers/gateway.ts'

const APP = 'http://127.0.0.1:3000'
const EVIL = 'http://127.0.0.1:6666'
const WRITE = '/api/v2/write?org=o&bucket=b'

test('CSRF: cookie-authenticated writes from another site are refused before the upstream', async (t) => {
  const gw = await startGateway(t, { config: { cors: { origins: [APP] } } })
  const cookie = await signIn(gw)
  const write = (headers: Record<string, string>, method = 'POST'): Promise<Response> =>
    fetch(`${gw.url}${WRITE}`, { method, headers: { cookie, ...headers }, body: 'm v=1' })
  const refused: Array<Record<string, string>> = [
    { origin: EVIL }, { origin: 'null' }, { referer: `${EVIL}/page` }, { 'sec-fetch-site': 'cross-site' },
    { origin: 'https://127.0.0.1:3000' }, { origin: `${gw.url}.evil.example` }
  ]
  for (const headers of refused) {
    const res = await write(headers)
    assert.equal(res.status, 403, JSON.stringify(headers))
    assert.deepEqual(await res.json(), { code: 'forbidden', message: 'cross-site request refused' })
  }
  for (const method of ['PUT', 'PATCH', 'DELETE']) assert.equal((await write({ origin: EVIL }, method)).status, 403, method)
  assert.equal(gw.influx.count('/api/v2/write'), 0)

  const allowed: Array<Record<string, string>> = [{}, { origin: gw.url }, { origin: APP }, { referer: `${gw.url}/orgs/1` }, { 'sec-fetch-site': 'same-origin', origin: gw.url }]
  for (const headers of allowed) {
    assert.equal((await write(headers)).status, 204, JSON.stringify(headers))
  }
  assert.equal((await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie, origin: EVIL } })).status, 403, 'reads from another site are refused too')
  const token = await fetch(`${gw.url}${WRITE}`, { method: 'POST', headers: { authorization: 'Token test-token', origin: EVIL }, body: 'm v=1' })
  assert.equal(token.status, 204, 'token-authenticated requests are not affected')
})

test('CSRF: a cross-site POST to sign-out or sign-in is refused and the session lives on', async (t) => {
  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  for (const route of ['/api/v2/signout', '/api/v2/signin']) {
    await fetchRefused(gw, route, { method: 'POST', headers: { cookie, origin: EVIL } }, 403, route)
    assert.equal((await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })).status, 200, `${route}: the session lives on`)
  }
})

test('CSRF: same-site without any origin is refused; the own origin is compared normalised', async (t) => {
  const gw = await startGateway(t, { config: { server: { trustProxy: ['127.0.0.1/32'] } } })
  const cookie = await signIn(gw)
  const write = (headers: Record<string, string>): Promise<Response> =>
    fetch(`${gw.url}${WRITE}`, { method: 'POST', headers: { cookie, ...headers }, body: 'm v=1' })
  assert.equal((await write({ 'sec-fetch-site': 'same-site' })).status, 403)
  const behindProxy = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'Influx.Example.com:443' }
  assert.equal((await write({ ...behindProxy, origin: 'https://influx.example.com' })).status, 204)
  assert.equal((await write({ ...behindProxy, origin: 'https://influx.example.com:8443' })).status, 403)
})
