import assert from 'node:assert/strict'
import { test } from 'node:test'
import { errorResponse } from '../src/error-response.ts'
import { errors } from '../src/errors.ts'
import { startGateway } from './helpers/gateway.ts'

test('errorResponse speaks InfluxDB 2 by default and InfluxDB 1.x when asked', () => {
  assert.deepEqual(errorResponse(errors.unauthorized()), {
    status: 401,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'X-Platform-Error-Code': 'unauthorized' },
    body: '{"code":"unauthorized","message":"unauthorized access"}'
  })
  assert.deepEqual(errorResponse(errors.unauthorized(), 'influxdb1'), {
    status: 401,
    headers: { 'WWW-Authenticate': 'Basic realm="InfluxDB"', 'Content-Type': 'application/json; charset=utf-8' },
    body: '{"error":"unauthorized access"}'
  })
  assert.deepEqual(errorResponse(errors.crossSite(), 'influxdb1'), {
    status: 403,
    headers: { 'X-Influxdb-Error': 'cross-site request refused', 'Content-Type': 'application/json; charset=utf-8' },
    body: '{"error":"cross-site request refused"}'
  })
  assert.equal(errorResponse(errors.methodNotAllowed('POST'), 'influxdb1').headers.Allow, 'POST', 'the error\'s own headers stay')
})

test('errorResponse as an HTML page: escaped, no script, nothing loaded, the error\'s own headers kept', () => {
  const page = errorResponse(errors.ssoRefused('bad <script>alert("x")</script> & \'more\''), 'html')
  assert.equal(page.status, 400)
  assert.equal(page.headers['Content-Type'], 'text/html; charset=utf-8')
  assert.equal(page.headers['Content-Security-Policy'], "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
  assert.equal(page.headers['Cache-Control'], 'no-store')
  assert.match(page.body, /<h1>Sign-in failed<\/h1>/)
  assert.match(page.body, /<p>Bad &lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &amp; &#39;more&#39;\.<\/p>/)
  assert.doesNotMatch(page.body, /<script/)
  const down = errorResponse(errors.ssoUnavailable(new Error('ECONNREFUSED 10.0.0.1:443')), 'html')
  assert.equal(down.status, 503)
  assert.equal(down.headers['Retry-After'], '5')
  assert.doesNotMatch(down.body, /ECONNREFUSED|10\.0\.0\.1/)
})

test('upstream.version: 1 answers the v1 routes in 1.x\'s dialect and everything else in 2.x\'s', async (t) => {
  const gw = await startGateway(t, { config: { upstream: { version: 1 } } })
  for (const path of ['/query?q=SHOW+DATABASES', '/write?db=x']) {
    const res = await fetch(`${gw.url}${path}`, { method: path.startsWith('/write') ? 'POST' : 'GET' })
    assert.equal(res.status, 401, path)
    assert.equal(res.headers.get('www-authenticate'), 'Basic realm="InfluxDB"')
    assert.equal(res.headers.get('x-platform-error-code'), null)
    assert.deepEqual(await res.json(), { error: 'unauthorized access' })
  }
  const v2 = await fetch(`${gw.url}/api/v2/buckets`)
  assert.equal(v2.headers.get('x-platform-error-code'), 'unauthorized')
  assert.equal(v2.headers.get('www-authenticate'), null)
  assert.deepEqual(gw.influx.requests, [], 'said, not probed: nothing reached InfluxDB')
})
