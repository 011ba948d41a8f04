import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { errors } from '../errors.ts'
import { writeRawError } from '../error-response.ts'
import type { Metrics } from './metrics.ts'

/** A separate metrics listener (`metrics.port`), so scrapes need not share the public port. */
export interface MetricsServer { url: string, close (): Promise<void> }

/**
 * Serves `GET <prefix>/metrics` (and `/metrics`) on its own port, bound to `metrics.host`
 * (loopback by default): Prometheus scrapes it, browsers never reach it.
 */
export async function listenMetrics (metrics: Metrics, opts: { host: string, port: number, prefix: string }): Promise<MetricsServer> {
  const paths = new Set([`${opts.prefix}/metrics`, '/metrics'])
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?', 1)[0] ?? ''
    if (!paths.has(path)) return writeRawError(res, errors.notFound())
    if (req.method !== 'GET' && req.method !== 'HEAD') return writeRawError(res, errors.methodNotAllowed('GET, HEAD'))
    metrics.registry.metrics().then((text) => {
      res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(req.method === 'HEAD' ? undefined : text)
    }, () => writeRawError(res, errors.internal(undefined)))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host, () => { server.off('error', reject); resolve() })
  })
  const { address, port } = server.address() as AddressInfo
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()) })
  }
}
