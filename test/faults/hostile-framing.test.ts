import assert from 'node:assert/strict'
import { once } from 'node:events'
import http, { request, type IncomingMessage } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import { signIn, startGateway, type TestGateway } from '../helpers/gateway.ts'

/** Writes raw bytes to the gateway and resolves with everything it answers until it closes or `until` matches. */
function raw (gw: TestGateway, bytes: string, until?: RegExp): Promise<string> {
  const { port } = new URL(gw.url)
  return new Promise((resolve, reject) => {
    let got = ''
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(bytes))
    socket.on('data', (d) => {
      got += d.toString('latin1')
      if (until?.test(got) === true) { socket.destroy(); resolve(got) }
    })
    socket.on('error', reject)
    socket.on('close', () => resolve(got))
  })
}

const chunk = (text: string): string => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`

test('a chunked DELETE cannot smuggle a request onto the shared upstream connection (CVE-2026-29057)', async (t) => {
  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  const smuggled = 'POST /test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 300\r\n\r\n'
  // With a token (a body needs credentials): it passes through, so the double answers the DELETE.
  const answer = await raw(gw, `DELETE /anything HTTP/1.1\r\nHost: x\r\nAuthorization: Token t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunk(smuggled)}0\r\n\r\n`)
  assert.match(answer, /^HTTP\/1\.1 200/)
  const victim = await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })
  assert.equal(victim.status, 200, 'the next user\'s request is answered as itself')
  assert.deepEqual(gw.influx.requests.map((r) => `${r.method} ${r.path}`), ['DELETE /anything', 'GET /api/v2/buckets'])
  assert.equal(gw.influx.requests[0]?.body.toString(), smuggled, 'the body arrived as a body')
})

test('headers named in Connection cannot strip the body framing', async (t) => {
  const gw = await startGateway(t)
  for (const framing of ['content-length', 'transfer-encoding']) {
    const body = 'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n'
    const head = framing === 'content-length'
      ? `Content-Length: ${body.length}`
      : 'Transfer-Encoding: chunked'
    const payload = framing === 'content-length' ? body : `${chunk(body)}0\r\n\r\n`
    const answer = await raw(gw, `GET /ui-page HTTP/1.1\r\nHost: x\r\nAuthorization: Token t\r\nConnection: close, ${framing}\r\n${head}\r\n\r\n${payload}`)
    assert.match(answer, /^HTTP\/1\.1 200/)
  }
  assert.equal(gw.influx.requests.filter((r) => r.path === '/smuggled').length, 0)
  assert.equal(gw.influx.count('/ui-page'), 2)
})

/**
 * An upstream that counts each upload's body as it arrives (`received(n)`: resolves once `n` bytes have
 * come in) and answers `{bytes}` at its end: the test's pace is set by what reached it, not by a clock.
 */
async function startCountingUpstream (t: TestContext): Promise<{ url: string, received: (bytes: number) => Promise<void> }> {
  let bytes = 0
  const waiting = new Set<{ bytes: number, resolve: () => void }>()
  const server = http.createServer((req, res) => {
    req.on('data', (d: Buffer) => {
      bytes += d.length
      for (const w of waiting) if (bytes >= w.bytes) { waiting.delete(w); w.resolve() }
    })
    req.on('end', () => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ bytes })))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => { server.closeAllConnections(); server.close() })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received: (n) => n <= bytes ? Promise.resolve() : new Promise((resolve) => waiting.add({ bytes: n, resolve }))
  }
}

test('an upload slower than upstream.timeout is not cut while its body is still flowing', async (t) => {
  const timeoutMs = 300
  const upstream = await startCountingUpstream(t)
  const gw = await startGateway(t, { upstreamUrl: upstream.url, config: { upstream: { timeout: `${timeoutMs}ms`, version: 2 } } })
  const cookie = await signIn(gw)
  const req = request(`${gw.url}/test/upload`, { method: 'POST', headers: { cookie } })
  const answer = once(req, 'response') as Promise<[IncomingMessage]>
  req.on('error', () => {}) // an error rejects `answer`, which fails the test
  // Each chunk goes once the one before reached InfluxDB (an event, no sleep), until the upload as a
  // whole has outlasted upstream.timeout twice over: only the gap since the last byte may count.
  const started = performance.now()
  let sent = 0
  let cut = false
  while (!cut && performance.now() - started < 2 * timeoutMs) {
    req.write('x'.repeat(1000))
    sent += 1000
    // A cut upload never arrives in full: then the gateway's answer ends the wait, and the loop.
    cut = await Promise.race([upstream.received(sent).then(() => false), answer.then(() => true)])
  }
  req.end()
  const [res] = await answer
  let body = ''
  for await (const d of res) body += String(d)
  assert.equal(res.statusCode, 200, body)
  assert.equal(JSON.parse(body).bytes, sent)
})

test('an upload that stops arriving is cut after upstream.timeout: 504, and InfluxDB\'s request is aborted', async (t) => {
  const gw = await startGateway(t, { config: { upstream: { timeout: '300ms' } } })
  const cookie = await signIn(gw)
  const answer = await new Promise<{ status: number, body: string }>((resolve, reject) => {
    const req = request(`${gw.url}/test/upload`, { method: 'POST', headers: { cookie, 'content-length': '100' } }, (res) => {
      let body = ''
      res.on('data', (d) => { body += String(d) })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.write('x'.repeat(10)) // and nothing more: a client gone silent
  })
  assert.equal(answer.status, 504)
  assert.deepEqual(JSON.parse(answer.body), { code: 'unavailable', message: 'InfluxDB timed out' })
  await gw.influx.waitForAbort((r) => r.path === '/test/upload')
})

test('Expect: 100-continue does not keep a timed-out upstream request alive', async (t) => {
  const gw = await startGateway(t, { config: { upstream: { timeout: '200ms' } } })
  const cookie = await signIn(gw)
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(`${gw.url}/test/stall-headers`, { method: 'POST', headers: { cookie, expect: '100-continue', 'content-length': '2' } }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('continue', () => req.end('{}'))
    req.on('error', reject)
  })
  assert.equal(status, 504)
  await gw.influx.waitForAbort((r) => r.path === '/test/stall-headers')
  assert.equal(gw.influx.last()?.headers.expect, undefined)
})

test('absolute-form and other odd request targets get a 400, never a 500', async (t) => {
  const gw = await startGateway(t)
  for (const target of ['http://[::1/x', 'http://x:99999/ui', '*', 'http://127.0.0.1/api/v2/buckets']) {
    const answer = await raw(gw, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
    assert.match(answer, /^HTTP\/1\.1 400 /, target)
    assert.match(answer, /\{"code":"invalid","message":"request target must be a path"\}$/)
  }
  assert.equal(gw.influx.requests.length, 0)
  assert.ok(!gw.logs.some((l) => (l.level as number) >= 50), 'no error-level log')
  assert.equal(gw.logs.filter((l) => l.msg === 'request').length, 4, 'each got its request log line')
})

test('an oversized pipelined request is not spliced into a response in flight', async (t) => {
  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  const { port } = new URL(gw.url)
  const answer = await new Promise<string>((resolve, reject) => {
    let got = ''
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write(`GET /test/stall-body HTTP/1.1\r\nHost: x\r\nCookie: ${cookie}\r\n\r\n`)
    })
    socket.on('data', (d) => {
      const first = got === ''
      got += d.toString('latin1')
      // The first response has started streaming: now pipeline a request with an oversized head.
      if (first) socket.write(`GET /ping HTTP/1.1\r\nHost: x\r\nX-Filler: ${'z'.repeat(20_000)}\r\n\r\n`)
    })
    socket.on('error', reject)
    socket.on('close', () => resolve(got))
  })
  assert.match(answer, /^HTTP\/1\.1 200/)
  assert.match(answer, /partial/)
  assert.doesNotMatch(answer, /431|request too large/)
})

test('a stale InfluxDB cookie of the same name does not hide the gateway\'s session', async (t) => {
  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  const stale = 'influxdb-oss-session=aW5mbHV4ZGItb3duLXNlc3Npb24taWQtZnJvbS1hcGk'
  assert.equal((await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie: `${stale}; ${cookie}` } })).status, 200)
  const signout = await fetch(`${gw.url}/api/v2/signout`, { method: 'POST', headers: { cookie: `${stale}; ${cookie}` } })
  assert.equal(signout.status, 204)
  assert.equal((await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })).status, 401)
})

test('a sign-in body that trickles in is cut after limits.signinBodyTimeout, logged as 499, not as an error', async (t) => {
  const gw = await startGateway(t, { config: { limits: { signinBodyTimeout: '200ms' } } })
  const closed = new Promise<void>((resolve) => {
    const req = request(`${gw.url}/api/v2/signin`, { method: 'POST', headers: { 'content-length': '500' } })
    req.on('error', () => resolve())
    req.on('close', () => resolve())
    req.write('x'.repeat(10))
  })
  await closed
  const line = await gw.waitForLog((l) => l.msg === 'request' && l.route === 'signin')
  assert.equal(line.status, 499)
  assert.ok(!gw.logs.some((l) => (l.level as number) >= 50), 'no error-level log')
})

test('ambiguous paths get 400 before any route check: what is forwarded is what was checked', async (t) => {
  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  const ambiguous = ['/query?db=x&q=SELECT+%22a#b%22+FROM+m', '/query?q=x#&u=admin&p=secret', '/health/../api/v2/buckets', '/api/v2/%2e%2e/api/v2/buckets', '/api/v2/%2E/buckets', '//api/v2/buckets', '/api\\v2/buckets', '/api%2fv2/buckets', '/assets/./x.js', '/x/..']
  for (const path of ambiguous) {
    const answer = await raw(gw, `GET ${path} HTTP/1.1\r\nHost: x\r\nCookie: ${cookie}\r\nConnection: close\r\n\r\n`)
    assert.match(answer, /^HTTP\/1\.1 400 /, path)
  }
  assert.equal(gw.influx.requests.length, 0)
  assert.equal((await fetch(`${gw.url}/%61pi/v2/buckets`)).status, 401, 'other escapes are not public: they need a session')
})

test('a client that sends its request head too slowly is cut after limits.headersTimeout (slowloris)', async (t) => {
  const gw = await startGateway(t, { config: { limits: { headersTimeout: '200ms' } } })
  const answer = await new Promise<string>((resolve, reject) => {
    const { port } = new URL(gw.url)
    let got = ''
    const socket = connect(Number(port), '127.0.0.1', () => socket.write('GET /ping HTTP/1.1\r\nHost: x\r\n'))
    socket.on('data', (d) => { got += String(d) })
    socket.on('error', reject)
    socket.on('close', () => resolve(got))
  })
  assert.match(answer, /^HTTP\/1\.1 408 /)
  assert.equal((await fetch(`${gw.url}/ping`)).status, 204, 'others are served meanwhile')
})
