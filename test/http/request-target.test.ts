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
