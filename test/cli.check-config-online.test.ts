/**
 * `check-config --online` (src/cli.ts, src/mint/online-check.ts): before a user finds out at sign-in, the
 * operator token is tried against InfluxDB (the double here): it must resolve each org a `mint` credential
 * names and create and delete an authorization there; each named bucket must exist. Problems name the YAML path.
 */
import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { cli, tempFile } from './helpers/cli-process.ts'
import { startFakeInflux, type FakeInflux } from './helpers/fake-influx.ts'

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
