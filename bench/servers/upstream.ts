// A fast InfluxDB-like upstream for the benchmark, run as its own process so its CPU is not the
// gateway's. Prints `{"port":N}` once listening.
//   GET  any path          → 200, a ~200-byte buckets JSON (the common dashboard answer)
//   GET  any path?bytes=N  → 200, N bytes of CSV-like data in 64 KiB chunks, honouring back-pressure
//                            (e.g. /stream?bytes=N directly, /api/v2/query?bytes=N through a proxy)
//   POST any path          → 204 once the whole body is read (like /api/v2/write); X-Received-Bytes says how much
import http from 'node:http'
import { writeBytes } from '../lib/write-bytes.ts'

export const BODY = JSON.stringify({
  links: { self: '/api/v2/buckets?limit=20' },
  buckets: [{ id: '0000000000000001', orgID: '0000000000000002', name: 'telegraf', type: 'user', retentionRules: [] }]
})
const CHUNK = Buffer.alloc(64 * 1024, '_result,table,0,cpu,usage_idle,99.5\n')

const server = http.createServer((req, res) => {
  if (req.method === 'POST' || req.method === 'PUT') {
    let received = 0
    req.on('data', (chunk: Buffer) => { received += chunk.length })
    req.on('end', () => res.writeHead(204, { 'x-received-bytes': String(received) }).end())
    return
  }
  const url = new URL(req.url ?? '/', 'http://upstream')
  const bytes = url.searchParams.get('bytes')
  if (bytes !== null) return stream(res, Number(bytes))
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(BODY) }).end(BODY)
})

function stream (res: http.ServerResponse, bytes: number): void {
  res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'content-length': bytes })
  writeBytes(res, CHUNK, bytes)
}

server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`)
})
process.once('SIGTERM', () => { server.closeAllConnections(); server.close(() => process.exit(0)) })
