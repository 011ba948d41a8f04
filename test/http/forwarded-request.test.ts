/** What forward auth reads of the original request (src/http/forwarded-request.ts), and what it cannot judge. */
import assert from 'node:assert/strict'
import type { IncomingMessage } from 'node:http'
import { test } from 'node:test'
import { GatewayError } from '../../src/errors.ts'
import { bringsOwnCredentials, namesDatabaseInBody, readForwardedRequest } from '../../src/http/forwarded-request.ts'

/** A request as Node presents one: `headersDistinct` keeps each line, `headers` joins them. */
function request (lines: Record<string, string[]>): IncomingMessage {
  const headers = Object.fromEntries(Object.entries(lines).map(([k, v]) => [k, v.join(', ')]))
  return { headersDistinct: lines, headers } as unknown as IncomingMessage
}

function refusal (lines: Record<string, string[]>): string {
  try {
    readForwardedRequest(request(lines))
  } catch (err) {
    assert.ok(err instanceof GatewayError)
    assert.equal(err.status, 403)
    return err.message
  }
  return assert.fail('not refused')
}

test('the method, the target (either header), host and scheme', () => {
  const read = readForwardedRequest(request({
    'x-forwarded-method': ['POST'], 'x-original-uri': ['/write?db=x'], 'x-forwarded-host': ['influx.example'], 'x-forwarded-proto': ['HTTPS']
  }))
  assert.deepEqual(read, { method: 'POST', target: '/write?db=x', host: 'influx.example', https: true })
  assert.deepEqual(readForwardedRequest(request({ 'x-forwarded-method': ['GET'], 'x-forwarded-uri': ['/'] })), { method: 'GET', target: '/' })
})

test('SECURITY: refused without a method or target, with a header on two lines, or two targets that disagree', () => {
  assert.match(refusal({ 'x-forwarded-uri': ['/'] }), /X-Forwarded-Method/)
  assert.match(refusal({ 'x-forwarded-method': ['get it'], 'x-forwarded-uri': ['/'] }), /X-Forwarded-Method/)
  assert.match(refusal({ 'x-forwarded-method': ['GET'] }), /X-Forwarded-Uri or X-Original-URI/)
  assert.match(refusal({ 'x-forwarded-method': ['GET', 'POST'], 'x-forwarded-uri': ['/'] }), /sent more than once/)
  assert.match(refusal({ 'x-forwarded-method': ['GET'], 'x-forwarded-uri': ['/health', '/api/v2/buckets'] }), /sent more than once/)
  assert.match(refusal({ 'x-forwarded-method': ['GET'], 'x-forwarded-uri': ['/health'], 'x-original-uri': ['/query'] }), /disagree/)
})

test('credentials of its own: any Authorization, u or p in any spelling; other parameters are not', () => {
  const none = request({})
  assert.equal(bringsOwnCredentials(none, '/query?q=SHOW+DATABASES&db=u'), false)
  assert.equal(bringsOwnCredentials(none, '/query?user=x&pass=y'), false)
  for (const target of ['/query?u=a', '/query?q=x&p=b', '/query?%75=a', '/query?x=1;p=b', '/query?p']) {
    assert.equal(bringsOwnCredentials(none, target), true, target)
  }
  assert.equal(bringsOwnCredentials(request({ authorization: ['Bearer x'] }), '/api/v2/buckets'), true)
})

test('in front of InfluxDB 3, a database or statement only in the body cannot be judged; elsewhere nothing changes', () => {
  for (const [method, path] of [['POST', '/api/v3/query_sql'], ['POST', '/api/v3/query_influxql'], ['POST', '/query'],
    ['POST', '/api/v3/configure/database'], ['PUT', '/api/v3/configure/table']]) {
    assert.equal(namesDatabaseInBody(method as string, path as string, true), true, `${method} ${path}`)
    assert.equal(namesDatabaseInBody(method as string, path as string, false), false, `${method} ${path} before 3`)
  }
  for (const [method, path] of [['GET', '/api/v3/query_sql'], ['GET', '/query'], ['POST', '/api/v3/write_lp'],
    ['DELETE', '/api/v3/configure/database'], ['POST', '/write']]) {
    assert.equal(namesDatabaseInBody(method as string, path as string, true), false, `${method} ${path}`)
  }
})
