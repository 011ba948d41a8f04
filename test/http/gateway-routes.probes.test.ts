import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import { listenMetrics } from '../../src/observability/metrics-server.ts'
import { ALICE, basic, signIn, startGateway } from '../helpers/gateway.ts'
import { parsePrometheus, sampleValue } from '../helpers/prometheus.ts'

async function closedPort (): Promise<number> {
  const s = http.createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => s.once('listening', resolve))
  const { port } = s.address() as AddressInfo
  await new Promise((resolve) => s.close(resolve))
  return port
}

/** An InfluxDB 1.x stand-in: no /health (404), /ping 204. */
async function influx1 (t: TestContext): Promise<string> {
  const s = http.createServer((req, res) => res.writeHead(req.url === '/ping' ? 204 : 404).end())
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => { s.closeAllConnections(); s.close(() => resolve()) }))
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`
}

test('liveness answers whenever the process serves, without the upstream', async (t) => {
  const gw = await startGateway(t, { upstreamUrl: `http://127.0.0.1:${await closedPort()}` })
  const res = await fetch(`${gw.url}/gateway/health`)
  assert.equal(res.status, 200)
  assert.deepEqual(await res.json(), { status: 'pass' })
})

test('readiness needs the session store and a healthy InfluxDB, and fails while stopping', async (t) => {
  const gw = await startGateway(t)
  const ready = await fetch(`${gw.url}/gateway/ready`)
  assert.equal(ready.status, 200)
  assert.equal(gw.influx.last()?.path, '/health')

  const v1 = await startGateway(t, { upstreamUrl: await influx1(t) })
  assert.equal((await fetch(`${v1.url}/gateway/ready`)).status, 200, 'InfluxDB 1.x: /ping')

  const down = await startGateway(t, { upstreamUrl: `http://127.0.0.1:${await closedPort()}` })
  const notReady = await fetch(`${down.url}/gateway/ready`)
  assert.equal(notReady.status, 503)
  assert.deepEqual(await notReady.json(), { code: 'unavailable', message: 'InfluxDB is unreachable (ECONNREFUSED)' })

  const sessions = gw.deps.sessions
  gw.deps.sessions = { ...sessions, ping: async () => { throw new Error('down') } }
  assert.equal((await (await fetch(`${gw.url}/gateway/ready`)).json() as { message: string }).message, 'session store is unavailable')
  gw.deps.sessions = sessions
  gw.deps.lifecycle.shuttingDown = true
  const stopping = await fetch(`${gw.url}/gateway/ready`)
  assert.equal(stopping.status, 503)
  assert.equal((await stopping.json() as { message: string }).message, 'shutting down')
  assert.equal(stopping.headers.get('connection'), 'close')
})

test('metrics count requests, sign-ins, upstream latency and errors, sessions; no user, path or secret in labels', async (t) => {
  const gw = await startGateway(t, { config: { upstream: { timeout: '200ms' } } })
  const cookie = await signIn(gw)
  await fetch(`${gw.url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic(ALICE.name, 'wrong') } })
  for (let i = 0; i < 3; i++) await fetch(`${gw.url}/api/v2/buckets?org=secret-org`, { headers: { cookie } })
  await fetch(`${gw.url}/test/stall-headers`, { headers: { cookie } })
  const res = await fetch(`${gw.url}/gateway/metrics`)
  assert.equal(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/)
  const text = await res.text()
  const samples = parsePrometheus(text)
  assert.equal(sampleValue(samples, 'influx_gateway_requests_total', { route: 'api', method: 'GET', status: '200' }), 3)
  assert.equal(sampleValue(samples, 'influx_gateway_requests_total', { route: 'signin', method: 'POST', status: '401' }), 1)
  assert.equal(sampleValue(samples, 'influx_gateway_signins_total', { outcome: 'success' }), 1)
  assert.equal(sampleValue(samples, 'influx_gateway_signins_total', { outcome: 'failure' }), 1)
  assert.equal(sampleValue(samples, 'influx_gateway_signins_total', { outcome: 'busy' }), 0)
  assert.equal(sampleValue(samples, 'influx_gateway_upstream_duration_seconds_count'), 3)
  assert.equal(sampleValue(samples, 'influx_gateway_upstream_errors_total', { kind: 'timeout' }), 1)
  assert.equal(sampleValue(samples, 'influx_gateway_sessions_active'), 1)
  assert.equal(sampleValue(samples, 'influx_gateway_config_reloads_total', { outcome: 'success' }), 0)
  assert.ok((sampleValue(samples, 'process_resident_memory_bytes') ?? 0) > 0, 'default process metrics')
  const labelValues = samples.flatMap((s) => Object.values(s.labels)).join('\n')
  for (const leak of ['alice', 'secret-org', '/api/v2/buckets', ALICE.token as string, cookie.split('=')[1] as string]) {
    assert.ok(!labelValues.includes(leak) && !text.includes(leak), `metrics leak ${leak}`)
  }
})

test('metrics can be switched off, or moved to a separate loopback port', async (t) => {
  const off = await startGateway(t, { config: { metrics: { enabled: false } } })
  assert.equal((await fetch(`${off.url}/gateway/metrics`)).status, 404)
  const moved = await startGateway(t, { config: { metrics: { port: 0 } } })
  assert.equal((await fetch(`${moved.url}/gateway/metrics`)).status, 404, 'not on the public listener')
  const server = await listenMetrics(moved.deps.metrics, { host: '127.0.0.1', port: 0, prefix: '/gateway' })
  t.after(() => server.close())
  const res = await fetch(`${server.url}/gateway/metrics`)
  assert.equal(res.status, 200)
  assert.ok(parsePrometheus(await res.text()).length > 0)
  assert.equal((await fetch(`${server.url}/other`)).status, 404)
  assert.equal((await fetch(`${server.url}/metrics`, { method: 'POST' })).status, 405)
})

test('request ids: a sane X-Request-Id is kept and returned, anything else replaced', async (t) => {
  const gw = await startGateway(t)
  assert.equal((await fetch(`${gw.url}/ping`, { headers: { 'x-request-id': 'trace-42.a:b' } })).headers.get('x-request-id'), 'trace-42.a:b')
  const replaced = (await fetch(`${gw.url}/ping`, { headers: { 'x-request-id': 'bad id\twith spaces' } })).headers.get('x-request-id')
  assert.match(replaced ?? '', /^[0-9a-f-]{36}$/)
  const lines = gw.logs.filter((l) => l.msg === 'request').map((l) => l.reqId)
  assert.deepEqual(lines, ['trace-42.a:b', replaced])
})
