/**
 * `check-config --online` (src/cli.ts, src/mint/online-check.ts): before a user finds out at sign-in, the
 * operator token is tried against InfluxDB (the double here): it must resolve each org a `mint` credential
 * names and create and delete an authorization there; each named bucket must exist. Problems name the YAML path.
 * An authorization whose delete failed is left to the gateway's sweep (src/mint/orphan-sweep.ts). In front of
 * InfluxDB 3 (`mint: {}`, src/mint/influx3-online-check.ts) it creates and deletes a token of the kind sign-in mints.
 */
import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { cli, tempFile } from './helpers/cli-process.ts'
import { startFakeInflux, type FakeInflux } from './helpers/fake-influx.ts'
import { INFLUX3_OPERATOR_TOKEN, startFakeInflux3, type FakeInflux3 } from './helpers/fake-influx3.ts'
import { startGateway } from './helpers/gateway.ts'

const HASH = '$scrypt$ln=10,r=8,p=1$uDyn97wvXrkoAQ4nUKGD+w$/WbpnP3LMQN+keOkp4jNKfy1+E3EP8sw7DDHYmD1JgM'

function yaml (influx: FakeInflux, org = 'my-org', bucket = 'telemetry'): string {
  return `upstream:
  url: ${influx.url}
  operatorToken: \${INFLUX_OPERATOR_TOKEN}
users:
  - name: alice
    passwordHash: "${HASH}"
    mint: { org: ${org}, permissions: [read:buckets, write:buckets/${bucket}] }
`
}

async function check (t: TestContext, text: string, token: string): Promise<{ code: number | string, out: string[], err: string }> {
  const file = tempFile(t, 'gateway.yaml', text)
  const run = cli(t, ['check-config', '--online', '--config', file], { env: { ...process.env, INFLUX_OPERATOR_TOKEN: token } })
  const code = await run.exited
  return { code, out: run.lines, err: run.stderr() }
}

test('check-config --online: ok when the operator token can mint, and it leaves no authorization behind', async (t) => {
  const influx = await startFakeInflux({ tenancy: { buckets: ['telemetry'] } })
  t.after(() => influx.close())
  const { code, out, err } = await check(t, yaml(influx), influx.tenancy.operatorToken)
  assert.equal(code, 0, err)
  assert.deepEqual(out, ['ok'])
  assert.equal(influx.requests.filter((r) => r.method === 'POST' && r.path === '/api/v2/authorizations').length, 1)
  assert.deepEqual(influx.tenancy.authorizations(), [])
})

test('check-config --online names the problem: a token that may not mint, an unknown org, a missing bucket', async (t) => {
  const influx = await startFakeInflux({ tenancy: { buckets: ['telemetry'] } })
  t.after(() => influx.close())
  const refused = await check(t, yaml(influx), 'test-token')
  assert.equal(refused.code, 1)
  assert.match(refused.err, /^upstream\.operatorToken: cannot mint tokens in organization "my-org": InfluxDB answered 401: write:orgs\/\w+\/authorizations is unauthorized$/m)
  assert.ok(!refused.err.includes('test-token'), 'the token is not printed')
  const noOrg = await check(t, yaml(influx, 'their-org'), influx.tenancy.operatorToken)
  assert.equal(noOrg.code, 1)
  assert.match(noOrg.err, /organization "their-org": InfluxDB answered 404/)
  const noBucket = await check(t, yaml(influx, 'my-org', 'nope'), influx.tenancy.operatorToken)
  assert.equal(noBucket.code, 1)
  assert.match(noBucket.err, /^users\.0\.mint\.permissions\.1: no bucket "nope" in organization "my-org"$/m)
  assert.deepEqual(influx.tenancy.authorizations(), [])
})

test('check-config without --online never calls InfluxDB', async (t) => {
  const influx = await startFakeInflux()
  t.after(() => influx.close())
  const file = tempFile(t, 'gateway.yaml', yaml(influx))
  const run = cli(t, ['check-config', '--config', file], { env: { ...process.env, INFLUX_OPERATOR_TOKEN: 'whatever-token-value' } })
  assert.equal(await run.exited, 0, run.stderr())
  assert.equal(influx.requests.length, 0)
})

test('a check whose delete fails says so; a gateway\'s start deletes what it left once two minutes old, no younger one, no one else\'s', async (t) => {
  let clock = Date.now()
  const influx = await startFakeInflux({ tenancy: { buckets: ['telemetry'], now: () => clock } })
  t.after(() => influx.close())
  influx.failNext('DELETE', '/api/v2/authorizations/', 1, 503)
  const failed = await check(t, yaml(influx), influx.tenancy.operatorToken)
  assert.equal(failed.code, 1)
  assert.match(failed.err, /^upstream\.operatorToken: cannot delete tokens in organization "my-org": InfluxDB answered 503: injected failure \(authorization \w+ stays/m)
  const [leftover] = influx.tenancy.authorizations()
  assert.equal(leftover?.description, 'influx-gateway (check-config) session check')
  const create = async (description: string): Promise<string> => {
    const res = await fetch(`${influx.url}/api/v2/authorizations`, {
      method: 'POST',
      headers: { authorization: `Token ${influx.tenancy.operatorToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ orgID: influx.tenancy.orgID, description, permissions: [{ action: 'read', resource: { type: 'orgs' } }] })
    })
    return (await res.json() as { id: string }).id
  }
  const foreign = [await create('check-config'), await create('influx-gateway (check-config) session check of telegraf'), await create('telegraf')]
  clock += 2 * 60_000 + 1
  const running = await create('influx-gateway (check-config) session check') // another check, running right now
  const gw = await startGateway(t, {
    users: [{ name: 'alice', password: 'correct horse battery staple', mint: { org: 'my-org', permissions: ['read:buckets'] } }],
    upstreamUrl: influx.url,
    operatorToken: influx.tenancy.operatorToken,
    now: () => clock
  })
  const swept = await gw.waitForLog((l) => l.msg === 'orphaned minted tokens deleted')
  assert.equal(swept.swept, 1)
  await gw.waitForLog((l) => l.result === 'revoked' && l.authorization === leftover?.id && l.reason === 'left by check-config')
  assert.deepEqual(influx.tenancy.authorizations().map((a) => a.id).sort(), [...foreign, running].sort())
})

function yaml3 (influx3: FakeInflux3, read = '[telemetry, "lab_*"]'): string {
  return `upstream:
  url: ${influx3.url}
  version: 3
  operatorToken: \${INFLUX_OPERATOR_TOKEN}
users:
  - name: alice
    passwordHash: "${HASH}"
    groups: [analysts]
access:
  - group: analysts
    mint: {}
    databases: { read: ${read}, write: [telemetry] }
`
}

test('check-config --online, InfluxDB 3: the operator token creates and deletes a token of the kind sign-in mints', async (t) => {
  for (const build of ['Enterprise', 'Core'] as const) {
    const influx3 = await startFakeInflux3({ build, databases: ['telemetry', 'lab_1'] })
    t.after(() => influx3.close())
    const { code, out, err } = await check(t, yaml3(influx3), INFLUX3_OPERATOR_TOKEN)
    assert.equal(code, 0, err)
    assert.deepEqual(out, ['ok'])
    const created = influx3.requests.filter((r) => r.method === 'POST' && r.path.includes('/token'))
    assert.deepEqual(created.map((r) => r.path), [build === 'Enterprise' ? '/api/v3/enterprise/configure/token' : '/api/v3/configure/token/named_admin'])
    assert.deepEqual(influx3.tokens().map((x) => x.name), ['_admin'], `${build}: nothing left behind`)
  }
})

test('check-config --online, InfluxDB 3: a token InfluxDB refuses, and a rule whose databases match none, are named', async (t) => {
  const influx3 = await startFakeInflux3({ build: 'Enterprise', databases: ['telemetry'] })
  t.after(() => influx3.close())
  const refused = await check(t, yaml3(influx3), 'apiv3_not-a-token-influxdb-knows')
  assert.equal(refused.code, 1)
  assert.match(refused.err, /^upstream\.operatorToken: cannot ask InfluxDB 3 which build it is: InfluxDB answered 401: the request was not authenticated$/m)
  assert.ok(!refused.err.includes('apiv3_not-a-token'), 'the token is not printed')
  influx3.failNext('POST', '/api/v3/enterprise/configure/token', 1, 403)
  const noMint = await check(t, yaml3(influx3), INFLUX3_OPERATOR_TOKEN)
  assert.match(noMint.err, /^upstream\.operatorToken: cannot mint tokens in InfluxDB 3 Enterprise: InfluxDB answered 403: injected failure$/m)
  const none = await check(t, yaml3(influx3, '["archive_*"]').replace('write: [telemetry]', 'write: []'), INFLUX3_OPERATOR_TOKEN)
  assert.equal(none.code, 1)
  assert.match(none.err, /^access\.0\.mint: no existing database matches databases: sign-in would be refused$/m)
  assert.deepEqual(influx3.tokens().map((x) => x.name), ['_admin'])
})
