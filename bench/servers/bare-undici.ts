// The floor of the gateway's own engine: an undici Pool's `stream` forwarding each request, no auth, no
// framework, no logging. Run as its own process: `bare-undici.ts UPSTREAM_URL`; prints `{"port":N}`.
import http from 'node:http'
import { Pool } from 'undici'

const pool = new Pool(process.argv[2] as string, { bodyTimeout: 0 })
const OWNED = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect'])

const server = http.createServer((req, res) => {
  const headers: http.IncomingHttpHeaders = {}
  for (const [name, value] of Object.entries(req.headers)) if (!OWNED.has(name)) headers[name] = value
  const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0'
  pool.stream({ path: req.url ?? '/', method: req.method as 'GET', headers, body: hasBody ? req : null }, ({ statusCode, headers: upstream }) => {
    delete upstream.connection
    delete upstream['keep-alive']
    delete upstream['transfer-encoding']
    res.writeHead(statusCode, upstream as http.OutgoingHttpHeaders)
    return res
  }, (err) => {
    if (err === null) return
    if (!res.headersSent) res.writeHead(502).end()
    else res.destroy()
  })
})
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`)
})
process.once('SIGTERM', () => { server.closeAllConnections(); server.close(() => process.exit(0)); pool.destroy().catch(() => {}) })
