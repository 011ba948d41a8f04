import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { request, type IncomingMessage } from 'node:http'
import { createServer } from 'node:net'
import { test } from 'node:test'
import { patternBytes, sha256OfPattern } from '../helpers/fake-influx.ts'
import { signIn, startGateway } from '../helpers/gateway.ts'

const MiB = 1024 * 1024

/** GET through the gateway with node:http, resolving on the response head (the body is left to the caller). */
function get (url: string, cookie: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    request(url, { headers: { cookie } }, resolve).on('error', reject).end()
  })
}

test('upstream answers, errors included, pass through unchanged minus hop-by-hop headers and our cookie', async (t) => {
  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  const err = await fetch(`${gw.url}/test/status?code=500`, { headers: { cookie } })
  assert.equal(err.status, 500)
  assert.deepEqual(await err.json(), { code: 'internal error', message: 'upstream boom' })
  assert.equal(err.headers.get('x-platform-error-code'), 'internal error')
  const missing = await fetch(`${gw.url}/api/v2/nope`, { headers: { cookie } })
  assert.equal(missing.status, 404)
  assert.deepEqual(await missing.json(), { code: 'not found', message: 'path not found' })

  const hop = await get(`${gw.url}/test/hop`, cookie)
  hop.resume()
  assert.equal(hop.statusCode, 200)
  assert.equal(hop.headers['x-upstream'], 'yes')
  assert.equal(hop.headers['x-secret-hop'], undefined)
  // InfluxDB's Keep-Alive described its own connection; the client gets the gateway's (limits.keepAliveTimeout).
  assert.equal(hop.headers['keep-alive'], 'timeout=5')
  assert.deepEqual(hop.headers['set-cookie'], ['other=1'])
  assert.ok(typeof hop.headers['x-request-id'] === 'string')
})

test('the gateway\'s request id reaches InfluxDB, and the answer carries ours, not InfluxDB\'s', async (t) => {
  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  const given = await fetch(`${gw.url}/test/own-request-id`, { headers: { cookie, 'x-request-id': 'trace-7.a' } })
  assert.equal(given.status, 200)
  assert.equal(gw.influx.last()?.headers['x-request-id'], 'trace-7.a')
  assert.equal(given.headers.get('x-request-id'), 'trace-7.a')
  assert.equal(given.headers.get('request-id'), 'influxdb-made-this-up', 'other upstream headers still pass')

  for (const headers of [{ cookie }, { cookie, 'x-request-id': 'not a sane id' }] as Array<Record<string, string>>) {
    const res = await fetch(`${gw.url}/test/own-request-id`, { headers })
    const ours = res.headers.get('x-request-id') ?? ''
    assert.match(ours, /^[A-Za-z0-9_-]{22}$/)
    assert.equal(gw.influx.last()?.headers['x-request-id'], ours, 'InfluxDB saw the id the client got back')
  }
  const logged = gw.logs.filter((l) => l.msg === 'request' && l.path === '/test/own-request-id').map((l) => l.reqId)
  assert.deepEqual(logged, gw.influx.requests.filter((r) => r.path === '/test/own-request-id').map((r) => r.headers['x-request-id']))
})

test('a single upstream Set-Cookie passes through unless it is ours; a repeated header arrives joined', async (t) => {
  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  const foreign = await get(`${gw.url}/test/one-cookie?name=AWSALB`, cookie)
  foreign.resume()
  assert.equal(foreign.statusCode, 200)
  assert.deepEqual(foreign.headers['set-cookie'], ['AWSALB=1; Path=/'])
  assert.equal(foreign.headers['x-twice'], 'a, b')
  const ours = await get(`${gw.url}/test/one-cookie?name=influxdb-oss-session`, cookie)
  ours.resume()
  assert.equal(ours.statusCode, 200)
  assert.equal(ours.headers['set-cookie'], undefined)
})

test('a 100 MB download and a 20 MB upload arrive byte-exact', async (t) => {
  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  const size = 100 * MiB
  const res = await get(`${gw.url}/test/download?bytes=${size}`, cookie)
  const hash = createHash('sha256')
  let received = 0
  for await (const chunk of res) { hash.update(chunk as Buffer); received += (chunk as Buffer).length }
  assert.equal(received, size)
  assert.equal(hash.digest('hex'), await sha256OfPattern(size))

  const upload = 20 * MiB
  const body = patternBytes(0, upload)
  const up = await fetch(`${gw.url}/test/upload`, { method: 'POST', headers: { cookie }, body: new Uint8Array(body) })
  assert.deepEqual(await up.json(), { bytes: upload, sha256: createHash('sha256').update(body).digest('hex') })
  assert.equal(gw.influx.last()?.headers.authorization, 'Token test-token')
})

test('InfluxDB down gets 503 unavailable; a reset before headers gets 502', async (t) => {
  const closedPort = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
  const down = await startGateway(t, { upstreamUrl: `http://127.0.0.1:${closedPort}` })
  const res = await fetch(`${down.url}/api/v2/buckets`, { headers: { cookie: await signIn(down) } })
  assert.equal(res.status, 503)
  assert.deepEqual(await res.json(), { code: 'unavailable', message: 'InfluxDB is unreachable' })
  await down.waitForLog((l) => l.msg === 'InfluxDB requests failing' && l.kind === 'ECONNREFUSED')

  const gw = await startGateway(t)
  const reset = await fetch(`${gw.url}/test/reset`, { headers: { cookie: await signIn(gw) } })
  assert.equal(reset.status, 502)
  assert.equal((await reset.json() as { code: string }).code, 'unavailable')
})

test('a reset after the headers cuts the client\'s response instead of hanging it', async (t) => {
  const gw = await startGateway(t)
  const res = await get(`${gw.url}/test/reset-mid`, await signIn(gw))
  assert.equal(res.statusCode, 200)
  await assert.rejects(async () => { for await (const chunk of res) assert.ok(chunk) })
})

test('no headers within upstream.timeout gets 504; a stream that started is not cut', async (t) => {
  const gw = await startGateway(t, { config: { upstream: { timeout: '300ms' } } })
  const cookie = await signIn(gw)
  const streaming = await get(`${gw.url}/test/stall-body`, cookie)
  assert.equal(streaming.statusCode, 200)
  const chunks: Buffer[] = []
  streaming.on('data', (c: Buffer) => chunks.push(c))
  const ended = new Promise((resolve) => streaming.on('end', resolve))

  // This timeout starts after the stream's would have: once it fires, the stream has outlived its own.
  const stalled = await fetch(`${gw.url}/test/stall-headers`, { headers: { cookie } })
  assert.equal(stalled.status, 504)
  assert.deepEqual(await stalled.json(), { code: 'unavailable', message: 'InfluxDB timed out' })
  await gw.influx.waitForAbort((r) => r.path === '/test/stall-headers')

  gw.influx.release()
  await ended
  assert.equal(Buffer.concat(chunks).toString(), 'partial-done')
})

test('a client that aborts mid-download or mid-upload has its upstream request destroyed', async (t) => {
  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  const res = await get(`${gw.url}/test/stall-body`, cookie)
  await new Promise((resolve) => res.once('data', resolve))
  res.destroy()
  const aborted = await gw.influx.waitForAbort((r) => r.path === '/test/stall-body')
  assert.equal(aborted.aborted, true)

  const upload = request(`${gw.url}/test/upload`, { method: 'POST', headers: { cookie, 'content-length': String(10 * MiB) } })
  upload.on('error', () => {})
  upload.write(patternBytes(0, MiB))
  await gw.influx.waitForRequest((r) => r.path === '/test/upload')
  upload.destroy()
  await gw.influx.waitForAbort((r) => r.path === '/test/upload')
  assert.equal((await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })).status, 200, 'the gateway carries on')
})
