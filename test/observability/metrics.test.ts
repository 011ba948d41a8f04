import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseConfig } from '../../src/config/load.ts'
import { noFiles } from '../helpers/config-problems.ts'
import { ALICE, basic, signIn, startGateway } from '../helpers/gateway.ts'
import { parsePrometheus, sampleValue } from '../helpers/prometheus.ts'

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

test('by default metrics are served only on a separate loopback listener, never to the public listener', async (t) => {
  const defaults = parseConfig('users: []\n', { env: {}, readFile: noFiles })
  assert.deepEqual(defaults.metrics, { enabled: true, listener: 'separate', port: 9464, host: '127.0.0.1' })
  // The defaults but the port (a fixed one would collide between tests).
  const gw = await startGateway(t, { config: { metrics: { port: 0 } } })
  const res = await fetch(`${gw.url}/gateway/metrics`)
  assert.equal(res.status, 404, 'an anonymous client of the public listener gets no metrics')
  assert.doesNotMatch(await res.text(), /influx_gateway_/)
  assert.equal((await fetch(`${gw.url}/metrics`)).status, 401, 'InfluxDB\'s /metrics still needs a session')
  assert.match(gw.metricsUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+$/)
  assert.equal((await fetch(`${gw.metricsUrl ?? ''}/gateway/metrics`)).status, 200)
})

test('metrics can be switched off, moved to another address, or put on the main listener', async (t) => {
  const off = await startGateway(t, { config: { metrics: { enabled: false } } })
  assert.equal((await fetch(`${off.url}/gateway/metrics`)).status, 404)
  const moved = await startGateway(t, { config: { metrics: { port: 0, host: '127.0.0.1' } } })
  assert.equal((await fetch(`${moved.url}/gateway/metrics`)).status, 404, 'not on the public listener')
  const metricsUrl = moved.metricsUrl
  assert.ok(metricsUrl !== undefined, 'the separate listener runs')
  assert.match(metricsUrl, /^http:\/\/127\.0\.0\.1:\d+$/, 'on metrics.host, loopback by default')
  const res = await fetch(`${metricsUrl}/gateway/metrics`)
  assert.equal(res.status, 200)
  assert.ok(parsePrometheus(await res.text()).length > 0)
  assert.equal((await fetch(`${metricsUrl}/other`)).status, 404)
  assert.equal((await fetch(`${metricsUrl}/metrics`, { method: 'POST' })).status, 405)
  const main = await startGateway(t, { config: { metrics: { listener: 'main' } } })
  assert.equal((await fetch(`${main.url}/gateway/metrics`)).status, 200, 'metrics.listener: main serves them to the public listener')
  assert.equal(main.metricsUrl, undefined, 'and starts no separate listener')
})
