import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { test } from 'node:test'
import { signIn, startGateway, type TestGateway } from '../helpers/gateway.ts'

const UNAUTHORIZED = { code: 'unauthorized', message: 'unauthorized access' }

test('a passed-through token carries nothing else: u/p and other credentials never reach InfluxDB', async (t) => {
  const gw = await startGateway(t)
  for (const authorization of ['Token x', 'Bearer x', 'bearer anything']) {
    await fetch(`${gw.url}/query?db=d&u=admin&p=adminpw&q=SHOW+USERS`, { headers: { authorization } })
    const seen = gw.influx.last()
    assert.equal(seen?.url, '/query?db=d&q=SHOW+USERS', authorization)
    assert.equal(seen?.headers.authorization, authorization)
  }
  await fetch(`${gw.url}/write?db=d&%75=admin&%70=adminpw`, { method: 'POST', headers: { authorization: 'Token x' }, body: 'm v=1' })
  assert.equal(gw.influx.last()?.url, '/write?db=d', 'percent-encoded names are credentials too')
})

test('a Token or Bearer credential holding a colon is a name and password (InfluxDB 1.8 and 2\'s v1 routes log in with it): never passed through', async (t) => {
  const gw = await startGateway(t)
  for (const authorization of ['Token admin:guess', 'Bearer admin:guess', 'token admin:']) {
    const res = await fetch(`${gw.url}/query?db=d&q=SHOW+USERS`, { headers: { authorization } })
    assert.equal(res.status, 401, authorization)
    assert.deepEqual(await res.json(), UNAUTHORIZED)
  }
  assert.deepEqual(gw.influx.requests, [], 'no password guess reached InfluxDB')
  const cookie = await signIn(gw)
  const res = await fetch(`${gw.url}/query?db=d&q=SHOW+USERS`, { headers: { cookie, authorization: 'Token admin:guess' } })
  assert.equal(res.status, 200)
  assert.equal(gw.influx.last()?.headers.authorization, 'Token test-token', 'the session\'s credential, not the guess')
})

test('anonymous requests to public routes carry no client credential upstream', async (t) => {
  const gw = await startGateway(t)
  await fetch(`${gw.url}/ping?u=admin&p=guess`, { headers: { authorization: 'Basic YWRtaW46Z3Vlc3M=' } })
  assert.equal(gw.influx.last()?.url, '/ping')
  assert.equal(gw.influx.last()?.headers.authorization, undefined)
})

test('routes InfluxDB leaves unauthenticated need a session whatever the Authorization header says', async (t) => {
  const gw = await startGateway(t)
  const paths = ['/metrics', '/debug/vars', '/debug/pprof/cmdline', '/debug/requests', '/Debug/pprof/']
  for (const path of paths) {
    for (const authorization of ['Token x', 'Bearer x', 'bearer anything', 'Token test-token']) {
      const res = await fetch(`${gw.url}${path}`, { headers: { authorization } })
      assert.equal(res.status, 401, `${path} with ${authorization}`)
      assert.deepEqual(await res.json(), UNAUTHORIZED)
    }
  }
  assert.deepEqual(gw.influx.requests, [], 'nothing reached InfluxDB')
  const cookie = await signIn(gw)
  const res = await fetch(`${gw.url}/debug/vars`, { headers: { cookie, authorization: 'Token x' } })
  assert.equal(res.status, 200)
  assert.equal(gw.influx.last()?.headers.authorization, 'Token test-token', 'the session\'s credential, not the client\'s')
})

/**
 * Sends a request head promising a large body, then a few bytes; resolves with what came back once the
 * gateway closes the connection (one that waited for the 100 MB would hang the test to its timeout).
 */
function trickle (gw: TestGateway, head: string): Promise<{ answer: string }> {
  const { port } = new URL(gw.url)
  return new Promise((resolve, reject) => {
    let answer = ''
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(`${head}\r\nContent-Length: 100000000\r\n\r\nab`))
    socket.on('data', (d) => { answer += d.toString('latin1') })
    socket.on('error', reject)
    socket.on('close', () => resolve({ answer }))
  })
}

test('anonymous requests with a body are refused at once and their connection closed, before anything is forwarded', async (t) => {
  const gw = await startGateway(t)
  const { answer } = await trickle(gw, 'POST /some/ui/path HTTP/1.1\r\nHost: x')
  assert.match(answer, /^HTTP\/1\.1 401 /)
  assert.match(answer, /connection: close/i)
  assert.ok(answer.endsWith(JSON.stringify(UNAUTHORIZED)))
  assert.match((await trickle(gw, 'GET /some/ui/path HTTP/1.1\r\nHost: x')).answer, /^HTTP\/1\.1 401 /, 'GET too')
  for (const method of ['PUT', 'PATCH', 'DELETE']) {
    const res = await fetch(`${gw.url}/some/ui/path`, { method, body: 'x' })
    assert.equal(res.status, 401, method)
  }
  const chunked = await fetch(`${gw.url}/`, { method: 'POST', body: new Blob(['x']).stream(), duplex: 'half' } as RequestInit)
  assert.equal(chunked.status, 401, 'a chunked body too')
  assert.deepEqual(gw.influx.requests, [], 'nothing reached InfluxDB')
  assert.equal((await fetch(`${gw.url}/some/ui/path`, { method: 'POST' })).status, 200, 'without a body it is an ordinary public request')
})

test('onboarding, when allowed, is the one anonymous request with a body', async (t) => {
  const gw = await startGateway(t, { config: { upstream: { allowSetup: true } } })
  const res = await fetch(`${gw.url}/api/v2/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"u","org":"o","bucket":"b"}' })
  assert.equal(gw.influx.last()?.path, '/api/v2/setup')
  assert.notEqual(res.status, 401)
})
