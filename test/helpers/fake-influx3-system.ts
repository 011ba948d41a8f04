/**
 * The InfluxDB 3 double's system routes (influxdata/influxdb `influxdb3_server/src/http.rs`: `health`, `ping`,
 * `handle_metrics`; `influxdb3_server/src/lib.rs` for the product name and build).
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto'
import { okJson, type Influx3Call, type Reply } from './fake-influx3-http.ts'
import type { Influx3Build } from './openapi-influxdb3.ts'

const PRODUCT = { Core: 'InfluxDB 3 Core', Enterprise: 'InfluxDB 3 Enterprise' } as const
const METRICS = '# HELP http_requests_total accumulated total requests\n# TYPE http_requests_total counter\nhttp_requests_total 1\n'

/** Answers `/health`, `/api/v1/health`, `/metrics` and `/ping` (GET and POST); undefined for other routes. */
export function systemRoute (call: Influx3Call, build: Influx3Build, version: string): Reply | undefined {
  const { method, path } = call.rec
  if ((path === '/health' || path === '/api/v1/health') && method === 'GET') {
    return { status: 200, body: 'OK', headers: { 'content-type': 'text/plain; charset=utf-8' }, cors: true }
  }
  if (path === '/metrics' && method === 'GET') return { status: 200, body: METRICS, headers: { 'content-type': 'text/plain; version=0.0.4' }, cors: true }
  if (path === '/ping' && (method === 'GET' || method === 'POST')) {
    const id = randomUUID()
    const reply = okJson(200, { product_name: PRODUCT[build], version, revision: '0123456789', process_id: randomUUID() })
    return { ...reply, headers: { ...reply.headers, 'x-influxdb-build': build, 'x-influxdb-version': version, 'request-id': id, 'x-request-id': id } }
  }
  return undefined
}
