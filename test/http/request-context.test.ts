import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startGateway } from '../helpers/gateway.ts'

test('request ids: a sane X-Request-Id is kept and returned, anything else replaced', async (t) => {
  const gw = await startGateway(t)
  assert.equal((await fetch(`${gw.url}/ping`, { headers: { 'x-request-id': 'trace-42.a:b' } })).headers.get('x-request-id'), 'trace-42.a:b')
  const replaced = (await fetch(`${gw.url}/ping`, { headers: { 'x-request-id': 'bad id\twith spaces' } })).headers.get('x-request-id')
  assert.match(replaced ?? '', /^[A-Za-z0-9_-]{22}$/)
  const lines = gw.logs.filter((l) => l.msg === 'request').map((l) => l.reqId)
  assert.deepEqual(lines, ['trace-42.a:b', replaced])
})
