import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { patternBytes, sha256OfPattern, startFakeInflux } from './fake-influx.ts'
import { responseValidator, spec } from './openapi.ts'
import { OPERATOR_AUTH_ID } from './fake-influx-tenancy.ts'

type Schema = { properties: Record<string, { enum?: string[] }>, required?: string[] }
const schemas = (spec().doc.components as { schemas: Record<string, Schema> }).schemas
const TOKEN = { authorization: 'Token test-token' }

/** Asserts `obj` only has keys the spec's schema knows and has every key it requires. */
function assertShape (obj: Record<string, unknown>, name: string): void {
  const schema = schemas[name]
  assert.ok(schema, `schema ${name}`)
  for (const key of Object.keys(obj)) assert.ok(key in schema.properties, `${name} has no property ${key}`)
  for (const key of schema.required ?? []) assert.ok(key in obj, `${name} requires ${key}`)
}

async function assertError (res: Response, status: number, code: string): Promise<void> {
  assert.equal(res.status, status)
  assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8')
  assert.equal(res.headers.get('x-platform-error-code'), code)
  const body = await res.json()
  assertShape(body, 'Error')
  assert.ok(schemas.Error?.properties.code?.enum?.includes(body.code))
  assert.equal(body.code, code)
}

test('fake influx: public routes answer without a token, in the spec shapes', async (t) => {
  const influx = await startFakeInflux()
  t.after(() => influx.close())
  const health = await fetch(`${influx.url}/health`)
  assertShape(await health.json(), 'HealthCheck')
  const ping = await fetch(`${influx.url}/ping`, { method: 'HEAD' })
  assert.equal(ping.status, 204)
  assert.equal(ping.headers.get('x-influxdb-build'), 'OSS')
  assert.deepEqual(await (await fetch(`${influx.url}/api/v2/setup`)).json(), { allowed: false })
  assert.match(await (await fetch(`${influx.url}/signin`)).text(), /<html>/)
})

test('fake influx: token check, error shape, and every request is recorded', async (t) => {
  const influx = await startFakeInflux({ tokens: ['test-token', 'other'] })
  t.after(() => influx.close())
  const basic = (secret: string): string => `Basic ${Buffer.from(`u:${secret}`).toString('base64')}`
  await assertError(await fetch(`${influx.url}/api/v2/me`), 401, 'unauthorized')
  await assertError(await fetch(`${influx.url}/api/v2/me`, { headers: { authorization: 'Token nope' } }), 401, 'unauthorized')
  await assertError(await fetch(`${influx.url}/api/v2/me`, { headers: { authorization: basic('test-token') } }), 401, 'unauthorized')
  assert.equal((await fetch(`${influx.url}/api/v2/me`, { headers: { authorization: 'Bearer other' } })).status, 200)
  assert.equal((await fetch(`${influx.url}/query?db=x&q=show`, { headers: { authorization: basic('test-token') } })).status, 200)
  await assertError(await fetch(`${influx.url}/query?db=x&u=u&p=bad`, { headers: TOKEN }), 401, 'unauthorized')
  await assertError(await fetch(`${influx.url}/api/v2/nope`, { headers: TOKEN }), 404, 'not found')
  await assertError(await fetch(`${influx.url}/test/status?code=500`, { headers: TOKEN }), 500, 'internal error')
  assert.equal(influx.count('/api/v2/me'), 4)
  assert.equal(influx.count(), 8)
  const buckets = await (await fetch(`${influx.url}/api/v2/buckets`, { headers: TOKEN })).json()
  for (const b of buckets.buckets) assertShape(b, 'Bucket')
})

test('fake influx: records the body, its size and hash', async (t) => {
  const influx = await startFakeInflux()
  t.after(() => influx.close())
  await assertError(await fetch(`${influx.url}/api/v2/write?org=o`, { method: 'POST', headers: TOKEN, body: 'm v=1' }), 400, 'invalid')
  const line = 'home,room=kitchen temp=21.5'
  const res = await fetch(`${influx.url}/api/v2/write?org=o&bucket=b`, { method: 'POST', headers: TOKEN, body: line })
  assert.equal(res.status, 204)
  const rec = influx.last()
  assert.equal(rec?.path, '/api/v2/write')
  assert.equal(rec?.query.get('bucket'), 'b')
  assert.equal(rec?.body.toString(), line)
  assert.equal(rec?.bodyBytes, line.length)
  assert.equal(rec?.bodySha256, createHash('sha256').update(line).digest('hex'))
})

test('fake influx: streaming routes, stalls, aborts and resets', async (t) => {
  const influx = await startFakeInflux()
  t.after(() => influx.close())
  const n = 3 * 64 * 1024 + 5
  const down = Buffer.from(await (await fetch(`${influx.url}/test/download?bytes=${n}`, { headers: TOKEN })).arrayBuffer())
  assert.ok(down.equals(patternBytes(0, n)))
  assert.equal(createHash('sha256').update(down).digest('hex'), await sha256OfPattern(n))
  const big = new Uint8Array(patternBytes(0, 2 * 1024 * 1024))
  const up = await (await fetch(`${influx.url}/test/upload`, { method: 'POST', headers: TOKEN, body: big })).json()
  assert.deepEqual(up, { bytes: big.length, sha256: await sha256OfPattern(big.length) })
  assert.equal(influx.last()?.body.length, 1024 * 1024)

  const stalled = await fetch(`${influx.url}/test/stall-body`, { headers: TOKEN })
  const reader = stalled.body!.getReader()
  assert.equal(Buffer.from((await reader.read()).value!).toString(), 'partial')
  influx.release()
  assert.equal(Buffer.from((await reader.read()).value!).toString(), '-done')

  const ac = new AbortController()
  const pending = fetch(`${influx.url}/test/stall-headers`, { headers: TOKEN, signal: ac.signal }).catch(() => 'aborted')
  await influx.waitForRequest(r => r.path === '/test/stall-headers')
  assert.ok(influx.openSockets() >= 1)
  ac.abort()
  assert.equal(await pending, 'aborted')
  assert.equal((await influx.waitForAbort(r => r.path === '/test/stall-headers')).aborted, true)

  await assert.rejects(fetch(`${influx.url}/test/reset`, { headers: TOKEN }))
  const mid = await fetch(`${influx.url}/test/reset-mid`, { headers: TOKEN })
  await assert.rejects(mid.arrayBuffer())
  assert.equal(influx.requests.some(r => r.path.startsWith('/test/reset') && r.aborted), false)
})

test('fake influx: only the operator token (of the tokens here) lists, creates and deletes authorizations; a deleted token stops working', async (t) => {
  const influx = await startFakeInflux({ tenancy: { users: ['alice'] } })
  t.after(() => influx.close())
  const operator = { authorization: `Token ${influx.tenancy.operatorToken}`, 'content-type': 'application/json' }
  const body = JSON.stringify({ orgID: influx.tenancy.orgID, description: 'd', permissions: [{ action: 'read', resource: { type: 'buckets' } }] })
  const post = (headers: Record<string, string>, b = body): Promise<Response> =>
    fetch(`${influx.url}/api/v2/authorizations`, { method: 'POST', headers, body: b })
  await assertError(await post({ ...TOKEN, 'content-type': 'application/json' }), 401, 'unauthorized')
  await assertError(await post(operator, JSON.stringify({ orgID: influx.tenancy.orgID, permissions: [] })), 400, 'invalid')
  await assertError(await post(operator, JSON.stringify({ orgID: influx.tenancy.orgID, permissions: [{ action: 'read', resource: { type: 'gadgets' } }] })), 400, 'invalid')
  const created = await post(operator)
  assert.equal(created.status, 201)
  const auth = await created.json() as { id: string, token: string }
  assert.equal(responseValidator('/authorizations', 'post', 201)(auth).errors, '')
  const minted = { authorization: `Token ${auth.token}` }
  assert.equal((await fetch(`${influx.url}/api/v2/buckets`, { headers: minted })).status, 200)
  await assertError(await post({ ...minted, 'content-type': 'application/json' }), 401, 'unauthorized') // a minted token mints nothing
  await assertError(await fetch(`${influx.url}/api/v2/authorizations`, { headers: TOKEN }), 401, 'unauthorized')
  const listed = await (await fetch(`${influx.url}/api/v2/authorizations?orgID=${influx.tenancy.orgID}&user=admin`, { headers: operator })).json()
  assert.equal(responseValidator('/authorizations', 'get', 200)(listed).errors, '')
  assert.deepEqual((listed as { authorizations: Array<{ id: string }> }).authorizations.map((a) => a.id), [OPERATOR_AUTH_ID, auth.id])
  const none = await (await fetch(`${influx.url}/api/v2/authorizations?user=alice`, { headers: operator })).json() as { authorizations: unknown[] }
  assert.deepEqual(none.authorizations, [])
  await assertError(await fetch(`${influx.url}/api/v2/authorizations/${auth.id}`, { method: 'DELETE', headers: minted }), 401, 'unauthorized')
  assert.equal((await fetch(`${influx.url}/api/v2/authorizations/${auth.id}`, { method: 'DELETE', headers: operator })).status, 204)
  await assertError(await fetch(`${influx.url}/api/v2/buckets`, { headers: minted }), 401, 'unauthorized')
  await assertError(await fetch(`${influx.url}/api/v2/authorizations/${auth.id}`, { method: 'DELETE', headers: operator }), 404, 'not found')
})

test('fake influx: as the contract says, listing authorizations hands out their tokens to whoever may read them', async (t) => {
  const influx = await startFakeInflux({ tenancy: { users: ['alice'] } })
  t.after(() => influx.close())
  const operator = { authorization: `Token ${influx.tenancy.operatorToken}`, 'content-type': 'application/json' }
  const create = async (...permissions: string[]): Promise<{ id: string, token: string }> => {
    const body = JSON.stringify({
      orgID: influx.tenancy.orgID,
      description: permissions.join(' '),
      permissions: permissions.map((p) => ({ action: p.split(':')[0], resource: { type: p.split(':')[1], orgID: influx.tenancy.orgID } }))
    })
    const res = await fetch(`${influx.url}/api/v2/authorizations`, { method: 'POST', headers: operator, body })
    assert.equal(res.status, 201)
    return await res.json() as { id: string, token: string }
  }
  const other = await create('read:buckets')
  const reader = await create('read:authorizations', 'read:users')
  const halfReader = await create('read:authorizations')
  const list = async (token: string): Promise<Response> => await fetch(`${influx.url}/api/v2/authorizations`, { headers: { authorization: `Token ${token}` } })
  const res = await list(reader.token)
  assert.equal(res.status, 200)
  const listed = await res.json() as { authorizations: Array<{ id: string, token: string }> }
  assert.equal(responseValidator('/authorizations', 'get', 200)(listed).errors, '')
  const tokens = new Map(listed.authorizations.map((a) => [a.id, a.token]))
  assert.equal(tokens.get(OPERATOR_AUTH_ID), influx.tenancy.operatorToken, 'the operator\'s token')
  assert.equal(tokens.get(other.id), other.token, 'another token')
  assert.equal(tokens.size, 4)
  // InfluxDB also wants read on each authorization's user; and a token without read:authorizations gets 401.
  assert.deepEqual((await (await list(halfReader.token)).json() as { authorizations: unknown[] }).authorizations, [])
  await assertError(await list(other.token), 401, 'unauthorized')
  const one = await fetch(`${influx.url}/api/v2/authorizations/${OPERATOR_AUTH_ID}`, { headers: { authorization: `Token ${reader.token}` } })
  assert.equal((await one.json() as { token: string }).token, influx.tenancy.operatorToken)
  const del = await fetch(`${influx.url}/api/v2/authorizations/${other.id}`, { method: 'DELETE', headers: { authorization: `Token ${reader.token}` } })
  await assertError(del, 401, 'unauthorized')
})
