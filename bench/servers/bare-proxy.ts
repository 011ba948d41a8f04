// The floor of our stack: http-proxy-3 with a keep-alive agent, no auth, no framework, no logging.
// Run as its own process: `bare-proxy.ts UPSTREAM_URL`; prints `{"port":N}` once listening.
import http from 'node:http'
import { createProxyServer } from 'http-proxy-3'

const target = process.argv[2] as string
const agent = new http.Agent({ keepAlive: true, scheduling: 'lifo' })
const proxy = createProxyServer({ target, agent, changeOrigin: true })
proxy.on('proxyRes', (proxyRes) => { delete proxyRes.headers['keep-alive'] })
proxy.on('error', (_err, _req, res) => {
  if (res instanceof http.ServerResponse && !res.headersSent) res.writeHead(502).end()
  else res.destroy()
})
const server = http.createServer((req, res) => proxy.web(req, res))
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`)
})
process.once('SIGTERM', () => { server.closeAllConnections(); server.close(() => process.exit(0)); agent.destroy() })
