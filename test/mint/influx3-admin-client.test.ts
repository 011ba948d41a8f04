import assert from 'node:assert/strict'
import { test } from 'node:test'
import { InfluxAdminError } from '../../src/mint/influx-admin-client.ts'
import { createInflux3AdminClient, type Influx3AdminClient } from '../../src/mint/influx3-admin-client.ts'
import { startFakeInflux } from '../helpers/fake-influx.ts'
import { INFLUX3_OPERATOR_TOKEN, startFakeInflux3, type FakeInflux3, type FakeInflux3Options } from '../helpers/fake-influx3.ts'
import { influx3Contract } from '../helpers/openapi-influxdb3.ts'

// The InfluxDB 3 admin client against the InfluxDB 3 double, both builds.

async function setup (t: { after: (fn: () => Promise<void>) => void }, opts: FakeInflux3Options = {}, token = INFLUX3_OPERATOR_TOKEN):
Promise<{ influx3: FakeInflux3, client: Influx3AdminClient }> {
  const influx3 = await startFakeInflux3(opts)
  t.after(() => influx3.close())
  return { influx3, client: createInflux3AdminClient({ url: () => influx3.url, operatorToken: () => token, timeoutMs: () => 5000 }) }
}

async function rejectsWith (p: Promise<unknown>, status: number | undefined): Promise<InfluxAdminError> {
  const err = await p.then(() => undefined, (e: unknown) => e)
  assert.ok(err instanceof InfluxAdminError, `expected an InfluxAdminError, got ${String(err)}`)
  assert.equal(err.status, status)
  assert.ok(!err.message.includes(INFLUX3_OPERATOR_TOKEN), 'the operator token is never in an error')
  return err
}

test('influx3 admin client: the build and version from /ping, with the operator token', async (t) => {
  for (const build of ['Core', 'Enterprise'] as const) {
    const { influx3, client } = await setup(t, { build, version: '3.10.1' })
    assert.deepEqual(await client.build(), { build, version: '3.10.1' })
    assert.equal(influx3.last()?.tokenName, '_admin')
    assert.equal(influx3.last()?.headers.authorization, `Bearer ${INFLUX3_OPERATOR_TOKEN}`)
  }
})

test('influx3 admin client: a named admin token is created, listed with its expiry, works, and is deleted', async (t) => {
  const now = Date.parse('2026-03-01T10:00:00Z')
  const { influx3, client } = await setup(t, { now: () => now })
  const made = await client.createNamedAdminToken('gw-session-1', 3600)
  assert.equal(made.name, 'gw-session-1')
  assert.equal(made.expiresAt, '2026-03-01T11:00:00.000Z')
  const body = JSON.parse(influx3.last()?.body.toString('utf8') ?? '{}') as unknown
  assert.ok(influx3Contract('Core').requestBody('/api/v3/configure/token/named_admin', 'post')(body).valid)
  assert.equal((await fetch(`${influx3.url}/health`, { headers: { authorization: `Bearer ${made.token}` } })).status, 200)
  const listed = await client.listTokens()
  assert.deepEqual(listed.map((x) => x.name), ['_admin', 'gw-session-1'])
  assert.deepEqual(listed[1], { name: 'gw-session-1', createdAt: '2026-03-01T10:00:00.000Z', expiresAt: '2026-03-01T11:00:00.000Z', permissions: '*:*:*' })
  assert.equal(listed[0]?.expiresAt, undefined)
  assert.equal(influx3.queries.at(-1)?.db, '_internal')
  assert.ok(!influx3.last()?.url.includes('system.tokens'), 'the SQL travels in the body')
  const dup = await rejectsWith(client.createNamedAdminToken('gw-session-1', 60), 409)
  assert.match(dup.influxMessage, /already exists/)
  await client.deleteToken('gw-session-1')
  await client.deleteToken('gw-session-1') // already gone: fine
  assert.equal((await fetch(`${influx3.url}/health`, { headers: { authorization: `Bearer ${made.token}` } })).status, 401)
  await rejectsWith(client.deleteToken('_admin'), 405)
})

test('influx3 admin client: an Enterprise resource token reads only the databases it names', async (t) => {
  const { influx3, client } = await setup(t, { build: 'Enterprise', databases: ['telemetry', 'lab_a'] })
  const made = await client.createResourceToken('gw-r-1', [{ resource_type: 'db', resource_names: ['telemetry'], actions: ['read', 'write'] }], 600)
  const body = JSON.parse(influx3.last()?.body.toString('utf8') ?? '{}') as unknown
  assert.ok(influx3Contract('Enterprise').requestBody('/api/v3/enterprise/configure/token', 'post')(body).valid)
  const read = (db: string): Promise<Response> => fetch(`${influx3.url}/api/v3/query_sql?db=${db}&q=SELECT%201`, { headers: { authorization: `Bearer ${made.token}` } })
  assert.equal((await read('telemetry')).status, 200)
  assert.equal((await read('lab_a')).status, 403)
  assert.equal((await client.listTokens()).find((x) => x.name === 'gw-r-1')?.permissions, 'db:telemetry:read,write')
  await rejectsWith(client.createResourceToken('gw-r-2', [{ resource_type: 'db', resource_names: ['nope'], actions: ['read'] }], 60), 500)
})

test('influx3 admin client: Core has no resource tokens', async (t) => {
  const { client } = await setup(t)
  await rejectsWith(client.createResourceToken('gw-r', [{ resource_type: 'db', resource_names: ['*'], actions: ['read'] }], 60), 404)
})

test('influx3 admin client: the databases, _internal included', async (t) => {
  const { client } = await setup(t, { databases: ['telemetry', 'lab_a'] })
  assert.deepEqual(await client.listDatabases(), ['_internal', 'lab_a', 'telemetry'])
})

test('influx3 admin client: a wrong operator token and an unreachable InfluxDB are InfluxAdminErrors without the token', async (t) => {
  const { client } = await setup(t, {}, 'apiv3_not-the-operator-token')
  const err = await rejectsWith(client.listDatabases(), 401)
  assert.equal(err.influxMessage, 'the request was not authenticated')
  const { influx3 } = await setup(t)
  await influx3.close()
  const gone = createInflux3AdminClient({ url: () => influx3.url, operatorToken: () => INFLUX3_OPERATOR_TOKEN, timeoutMs: () => 5000 })
  await rejectsWith(gone.build(), undefined)
})

test('influx3 admin client: /ping of an InfluxDB that is not InfluxDB 3 is an error', async (t) => {
  const influx2 = await startFakeInflux()
  t.after(() => influx2.close())
  const client = createInflux3AdminClient({ url: () => influx2.url, operatorToken: () => 'test-token', timeoutMs: () => 5000 })
  const err = await rejectsWith(client.build(), undefined)
  assert.match(err.influxMessage, /not InfluxDB 3 \(x-influxdb-build: OSS\)/)
})
