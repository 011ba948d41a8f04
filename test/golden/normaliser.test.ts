import assert from 'node:assert/strict'
import { test } from 'node:test'
import { normaliseMetrics } from '../../scripts/golden/metrics-text.ts'
import { createNormaliser } from '../../scripts/golden/normaliser.ts'

test('a log line keeps its keys in order; random and time-bound values become placeholders, numbered by value', () => {
  const n = createNormaliser('/tmp/gw-golden-x')
  const line = (session: string, reqId: string): string => JSON.stringify({
    level: 30, time: '2026-12-07T01:02:03.456Z', reqId, audit: 'signin', session, durationMs: 3, config: '/tmp/gw-golden-x/v2.yaml', msg: 'm'
  })
  assert.equal(n.logLine(line('s-a', 'r-1')),
    '{"level":30,"time":"<time>","reqId":"<req:1>","audit":"signin","session":"<session:1>","durationMs":"<ms>","config":"<dir>/v2.yaml","msg":"m"}')
  assert.match(n.logLine(line('s-b', 'r-2')), /"reqId":"<req:2>".*"session":"<session:2>"/)
  assert.match(n.logLine(line('s-a', 'r-3')), /"session":"<session:1>"/, 'the same session, the same placeholder')
  assert.equal(n.logLine('not json 127.0.0.1:43210'), 'not json 127.0.0.1:<port:1>')
})

test('a Set-Cookie value loses its value and date, keeps its attributes; a cleared cookie stays empty', () => {
  const n = createNormaliser('/tmp/x')
  assert.equal(n.setCookie('influxdb-oss-session=abc.def; Path=/; Expires=Mon, 07 Dec 2026 09:00:00 GMT; HttpOnly'),
    'influxdb-oss-session=<cookie:1>; Path=/; Expires=<date>; HttpOnly')
  assert.equal(n.setCookie('influxdb-oss-session=; Path=/; Max-Age=0'), 'influxdb-oss-session=; Path=/; Max-Age=0')
})

test('metrics keep the gateway\'s series and counts, not durations or process samples', () => {
  const text = [
    '# TYPE process_cpu_seconds_total counter', 'process_cpu_seconds_total 0.52',
    'influx_gateway_upstream_duration_seconds_bucket{le="0.001"} 3', 'influx_gateway_upstream_duration_seconds_sum 0.0041',
    'influx_gateway_upstream_duration_seconds_count 6', 'influx_gateway_signins_total{outcome="success"} 3', ''
  ].join('\n')
  assert.equal(normaliseMetrics(text), [
    '# TYPE process_cpu_seconds_total counter',
    'influx_gateway_upstream_duration_seconds_bucket{le="0.001"} <n>', 'influx_gateway_upstream_duration_seconds_sum <n>',
    'influx_gateway_upstream_duration_seconds_count 6', 'influx_gateway_signins_total{outcome="success"} 3'
  ].join('\n'))
})
