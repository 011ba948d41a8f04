import assert from 'node:assert/strict'
import type { IncomingMessage } from 'node:http'
import { test } from 'node:test'
import { prepareUpstreamRequest, responseHeaders, withoutQueryParams } from '../../src/forwarder/forward-headers.ts'

const UP = new Set(['u', 'p'])

test('withoutQueryParams drops u and p however they are spelled, and keeps the rest as sent', () => {
  const cases: Array<[string, string]> = [
    ['/query?db=x&q=SELECT%201', '/query?db=x&q=SELECT%201'],
    ['/query?u=a&p=b&db=x', '/query?db=x'],
    ['/query?db=x&%75=a&%70=b', '/query?db=x'],
    ['/query?db=x;u=a;p=b', '/query?db=x'],
    ['/query?u=a&p=b', '/query'],
    ['/query?p', '/query'],
    ['/query?db=x&up=1&pp=2&U=3', '/query?db=x&up=1&pp=2&U=3'],
    ['/query?db=x&%zz=1', '/query?db=x&%zz=1'],
    ['/write', '/write']
  ]
  for (const [input, expected] of cases) assert.equal(withoutQueryParams(input, UP), expected, input)
})

function fakeReq (url: string, headers: Record<string, string>): IncomingMessage {
  return { url, headers: { ...headers } } as unknown as IncomingMessage
}

test('prepareUpstreamRequest swaps client credentials for the injected one', () => {
  const req = fakeReq('/query?db=x&u=mallory&p=pw', {
    host: 'gw:8080',
    authorization: 'Basic bWFsbG9yeTpwdw==',
    cookie: 'a=1; influxdb-oss-session=SECRET; b=2',
    connection: 'keep-alive, X-Hop',
    'x-hop': 'drop me',
    'keep-alive': 'timeout=5',
    te: 'trailers',
    'x-forwarded-for': '6.6.6.6',
    'x-request-id': 'bad id from the client',
    'zap-trace-span': '{"trace_id":"1"}'
  })
  prepareUpstreamRequest(req, { cookieName: 'influxdb-oss-session', authorization: 'Token t', client: { forwardedFor: '127.0.0.1', https: false, host: 'gw:8080', viaTrustedProxy: false }, requestId: 'gw-id-1' })
  assert.equal(req.url, '/query?db=x')
  assert.deepEqual(sent(req.headers), {
    host: 'gw:8080',
    authorization: 'Token t',
    cookie: 'a=1; b=2',
    'x-forwarded-for': '127.0.0.1',
    'x-forwarded-proto': 'http',
    'x-forwarded-host': 'gw:8080',
    'x-request-id': 'gw-id-1',
    'zap-trace-span': '{"trace_id":"1"}'
  })
})

test('a passed-through token is the only client credential that goes upstream; our cookie goes', () => {
  const req = fakeReq('/query?db=x&u=a&p=b', { authorization: 'Token mine', cookie: 'influxdb-oss-session=S' })
  prepareUpstreamRequest(req, { cookieName: 'influxdb-oss-session', authorization: 'Token mine', client: { forwardedFor: '::1', https: true, host: '', viaTrustedProxy: true }, requestId: 'gw-id-2' })
  assert.equal(req.url, '/query?db=x', 'InfluxDB 1.x would log in with u/p before looking at the header')
  assert.equal(req.headers.authorization, 'Token mine')
  assert.equal(req.headers.cookie, undefined)
  assert.equal(req.headers['x-forwarded-proto'], 'https')
})

test('an anonymous request keeps no client credential at all', () => {
  const req = fakeReq('/ping?u=admin&p=guess', { authorization: 'Basic YWRtaW46Z3Vlc3M=' })
  prepareUpstreamRequest(req, { cookieName: 'influxdb-oss-session', authorization: undefined, client: { forwardedFor: '::1', https: false, host: '', viaTrustedProxy: false }, requestId: 'gw-id-3' })
  assert.equal(req.url, '/ping')
  assert.equal(req.headers.authorization, undefined)
})

test('responseHeaders strips hop-by-hop headers and an upstream cookie with our name, however spaced', () => {
  const headers = {
    connection: 'X-Secret-Hop, Content-Length',
    'x-secret-hop': '1',
    'keep-alive': 'timeout=5',
    'transfer-encoding': 'chunked',
    'access-control-allow-origin': '*',
    'set-cookie': ['influxdb-oss-session=upstream; Path=/api/', 'other=1', 'influxdb-oss-session =spaced; Path=/', '\tinfluxdb-oss-session\t=tab'],
    'content-type': 'application/json',
    'content-length': '2'
  }
  assert.deepEqual(responseHeaders(headers, 'influxdb-oss-session'), [
    ['set-cookie', ['other=1']], ['content-type', 'application/json'], ['content-length', '2']
  ])
})

test('responseHeaders gives headers in Node\'s shape: repeated ones joined, one Set-Cookie a list, Vary with Origin', () => {
  assert.deepEqual(responseHeaders({ 'x-a': ['1', '2'], 'set-cookie': 'a=1', vary: 'Accept-Encoding' }, 'sid'), [
    ['x-a', '1, 2'], ['set-cookie', ['a=1']], ['vary', 'Accept-Encoding, Origin']
  ])
  assert.deepEqual(responseHeaders({ vary: 'origin' }, 'sid'), [['vary', 'origin']])
  assert.deepEqual(responseHeaders({ 'set-cookie': ['sid=x'] }, 'sid'), [], 'nothing left of Set-Cookie: no header at all')
})

test('withoutQueryParams keeps separators and empty pairs as sent when it removes nothing else', () => {
  assert.equal(withoutQueryParams('/query?q=SELECT 1;SELECT 2&db=x', UP), '/query?q=SELECT 1;SELECT 2&db=x')
  assert.equal(withoutQueryParams('/query?q=SELECT 1;SELECT 2&u=a&db=x', UP), '/query?q=SELECT 1;SELECT 2&db=x')
  assert.equal(withoutQueryParams('/query?u=a;db=x&&p=b', UP), '/query?db=x&')
})

test('u and p go in every spelling; a query without them is left exactly as sent', () => {
  const plan = { cookieName: 'influxdb-oss-session', authorization: undefined, client: { forwardedFor: '::1', https: false, host: '', viaTrustedProxy: false }, requestId: 'r' }
  const cases: Array<[string, string]> = [
    ['/query?db=x&q=SELECT+1', '/query?db=x&q=SELECT+1'], ['/query?up=1&pu=2&U=3&P=4', '/query?up=1&pu=2&U=3&P=4'],
    ['/query?u=a&p=b&db=x', '/query?db=x'], ['/query?db=x&%75=a&%70=b', '/query?db=x'], ['/query?db=x;u=a;p=b', '/query?db=x'],
    ['/query?u&p&db=x', '/query?db=x'], ['/query?db=x&p=', '/query?db=x'], ['/query', '/query'], ['/write?u=a', '/write']
  ]
  for (const [url, forwarded] of cases) {
    const req = fakeReq(url, {})
    prepareUpstreamRequest(req, plan)
    assert.equal(req.url, forwarded, url)
  }
})

/** The headers as the engine sends them: one set `undefined` is not sent. */
function sent (headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== undefined))
}
