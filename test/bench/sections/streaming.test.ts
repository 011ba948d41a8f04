import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import { writeBytes } from '../../../bench/lib/write-bytes.ts'
import { streaming } from '../../../bench/sections/streaming.ts'
import type { Target } from '../../../bench/lib/targets.ts'

/** The bench upstream's two answers: a body of `?bytes=N`, and 204 once an upload is read. */
function upstreamHandler (req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.method === 'POST') {
    let received = 0
    req.on('data', (chunk: Buffer) => { received += chunk.length })
    req.on('end', () => res.writeHead(204, { 'x-received-bytes': String(received) }).end())
    return
  }
  const bytes = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('bytes'))
  res.writeHead(200, { 'content-length': bytes })
  writeBytes(res, Buffer.alloc(64 * 1024, 'x'), bytes)
}

/** A server in this process, as a bench target (its CPU and RSS are this process's). */
async function serve (t: TestContext, handler: http.RequestListener): Promise<Target> {
  const server = http.createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => { server.closeAllConnections(); server.close() })
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, pid: process.pid, stop: async () => {} }
}

test('a forwarder that cuts an upload is named in the streaming report as failed; the other setups are measured', async (t) => {
  const upstream = await serve(t, upstreamHandler)
  // Reads a little of each upload, then drops the connection: the client's writes fail (EPIPE, ECONNRESET).
  const cutter = await serve(t, (req, res) => {
    if (req.method !== 'POST') return upstreamHandler(req, res)
    req.once('data', () => req.socket.destroy())
  })
  const report = await streaming({
    upstream,
    gateway: upstream,
    cookie: 'session=bench',
    others: [{ name: 'cutter', target: cutter }],
    bytes: 4 * 2 ** 20,
    rounds: 1
  })
  assert.match(report, /\| upload 4 MiB \| cutter \| \*\*failed: (EPIPE|ECONNRESET|socket hang up) \(warm-up\)\*\* \|/)
  assert.match(report, /\| download 4 MiB \| cutter \| \d+ /, 'its download was measured')
  assert.match(report, /\| upload 4 MiB \| gateway, session cookie \| \d+ /, 'the other setups\' uploads too')
  assert.match(report, /- Target upload: ≥ 0.9 × direct MB\/s/)
})
