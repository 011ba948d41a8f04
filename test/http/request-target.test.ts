import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { test } from 'node:test'
import { signIn, startGateway, type TestGateway } from '../helpers/gateway.ts'

/** Writes raw bytes to the gateway and resolves with everything it answers until it closes. */
function raw (gw: TestGateway, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = ''
    const socket = connect(Number(new URL(gw.url).port), '127.0.0.1', () => socket.write(bytes))
    socket.on('data', (d) => { got += d.toString('latin1') })
    socket.on('error', reject)
    socket.on('close', () => resolve(got))
  })
}

const chunk = (text: string): string => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`
const NOT_IMPLEMENTED = '{"code":"not implemented","message":"only the chunked transfer coding is supported"}'

test('a transfer coding other than chunked gets 501 and reaches nothing upstream (it would arrive without its coding)', async (t) => {
  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  const codings = [
    ['Transfer-Encoding: gzip, chunked'],
    ['Transfer-Encoding: deflate,chunked'],
    ['Transfer-Encoding: x-custom ,  Chunked'],
    ['Transfer-Encoding: gzip', 'Transfer-Encoding: chunked']
  ]
  for (const lines of codings) {
    for (const path of ['/api/v2/write?bucket=b', '/api/v2/signin', '/some/ui/path']) {
      const head = `POST ${path} HTTP/1.1\r\nHost: x\r\nCookie: ${cookie}\r\n${lines.join('\r\n')}\r\n\r\n`
      const answer = await raw(gw, `${head}${chunk('m v=1')}0\r\n\r\n`)
      assert.match(answer, /^HTTP\/1\.1 501 Not Implemented\r\n/, `${lines.join(' + ')} on ${path}`)
      assert.match(answer, /\r\nX-Platform-Error-Code: not implemented\r\n/i)
      assert.match(answer, /\r\nConnection: close\r\n/i)
      assert.ok(answer.endsWith(`\r\n\r\n${NOT_IMPLEMENTED}`), answer)
    }
  }
  // Node's parser refuses a doubled chunked itself.
  const doubled = await raw(gw, `POST /api/v2/write HTTP/1.1\r\nHost: x\r\nCookie: ${cookie}\r\nTransfer-Encoding: chunked, chunked\r\n\r\n${chunk('m v=1')}0\r\n\r\n`)
  assert.match(doubled, /^HTTP\/1\.1 400 /)
  assert.equal(gw.influx.requests.length, 0, 'nothing was forwarded')
})

test('plain chunked bodies, in any case and spacing, are still forwarded', async (t) => {
  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  for (const coding of ['chunked', 'Chunked', 'CHUNKED ', '  chunked']) {
    const answer = await raw(gw, `POST /test/echo HTTP/1.1\r\nHost: x\r\nCookie: ${cookie}\r\nConnection: close\r\nTransfer-Encoding: ${coding}\r\n\r\n${chunk('m v=1')}0\r\n\r\n`)
    assert.match(answer, /^HTTP\/1\.1 200 /, coding)
  }
  assert.equal(gw.influx.count('/test/echo'), 4)
  assert.deepEqual(gw.influx.requests.map((r) => r.body.toString()), ['m v=1', 'm v=1', 'm v=1', 'm v=1'])
})

/** Paths whose percent-escapes are not UTF-8: overlong, surrogate, stray and truncated bytes, malformed escapes. */
const NOT_UTF8 = ['/debu%67/vars%ff', '/debug/vars%c0', '/debug/requests%ed%a0%80', '/query%ff', '/api/v2/buckets%e2%82', '/a%zz']
const NOT_UTF8_BODY = '{"code":"invalid","message":"request path must be percent-encoded UTF-8"}'

test('a path whose escapes are not UTF-8 gets 400 before any rule: with a cookie, a token or nothing, nothing is forwarded', async (t) => {
  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  for (const path of NOT_UTF8) {
    for (const credential of ['', `Cookie: ${cookie}\r\n`, 'Authorization: Token junk\r\n']) {
      const answer = await raw(gw, `GET ${path} HTTP/1.1\r\nHost: x\r\n${credential}Connection: close\r\n\r\n`)
      assert.match(answer, /^HTTP\/1\.1 400 /, `${path} ${credential}`)
      assert.match(answer, /\r\nX-Platform-Error-Code: invalid\r\n/i)
      assert.ok(answer.endsWith(`\r\n\r\n${NOT_UTF8_BODY}`), answer)
    }
  }
  assert.equal(gw.influx.requests.length, 0, 'nothing was forwarded')
  const line = await gw.waitForLog((l) => l.msg === 'request' && l.path === '/debu%67/vars%ff')
  assert.equal(line.route, 'debug', 'labelled by the route its canonical path is in')
})

test('a cross-site navigation to /query%ff with the cookie is refused, not taken for a UI page', async (t) => {
  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  const navigation = 'Sec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-Dest: document\r\n'
  for (const path of ['/query%ff?q=DROP+DATABASE+telegraf', '/%71uery%c0?q=DROP+DATABASE+telegraf', '/debu%67/vars%ff']) {
    const answer = await raw(gw, `GET ${path} HTTP/1.1\r\nHost: x\r\nCookie: ${cookie}\r\n${navigation}Connection: close\r\n\r\n`)
    assert.match(answer, /^HTTP\/1\.1 400 /, path)
  }
  const page = await raw(gw, `GET /orgs/1 HTTP/1.1\r\nHost: x\r\nCookie: ${cookie}\r\n${navigation}Connection: close\r\n\r\n`)
  assert.match(page, /^HTTP\/1\.1 200 /, 'a real UI page still opens from a link')
  assert.deepEqual(gw.influx.requests.map((r) => r.path), ['/orgs/1'])
})

test('in front of InfluxDB 1.x the refusal is in 1.x\'s dialect on the v1 routes, in 2\'s elsewhere', async (t) => {
  const gw = await startGateway(t, { config: { upstream: { version: 1 } } })
  for (const path of ['/query/%ff?q=SHOW+DATABASES', '/write/%c0?db=x', '/%71uery/%ed%a0%80']) {
    const answer = await raw(gw, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
    assert.match(answer, /^HTTP\/1\.1 400 /, path)
    assert.match(answer, /\r\nX-Influxdb-Error: request path must be percent-encoded UTF-8\r\n/i, path)
    assert.doesNotMatch(answer, /X-Platform-Error-Code/i)
    assert.ok(answer.endsWith('\r\n\r\n{"error":"request path must be percent-encoded UTF-8"}'), answer)
  }
  // `/query%ff` is not the route `/query` (as `/queryx` is not), on any reading: 2's dialect.
  for (const path of ['/query%ff', '/debu%67/vars%ff']) {
    const answer = await raw(gw, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
    assert.ok(answer.endsWith(`\r\n\r\n${NOT_UTF8_BODY}`), `${path}: ${answer}`)
  }
  assert.equal(gw.influx.requests.length, 0)
})
