/**
 * What a minted token may hold (src/config/influx-permissions.ts). InfluxDB answers `GET /api/v2/authorizations`
 * with each authorization's token (the contract's `Authorization.token`): a session whose token could read
 * authorizations would read every other session's token, and the operator's. Such a rule, and every other
 * permission that reaches beyond the session, is refused by the config loader: at start, by `check-config`
 * and by a reload, which keeps the running configuration and logs why.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { test, type TestContext } from 'node:test'
import { hashPassword } from '../../src/auth/password.ts'
import { cli, isLog, tempFile } from '../helpers/cli-process.ts'
import { startFakeInflux, type FakeInflux } from '../helpers/fake-influx.ts'
import { basic, signIn, startGateway, type TestUser } from '../helpers/gateway.ts'

const PASSWORD = 'correct horse battery staple'
const ALICE: TestUser = { name: 'alice', password: PASSWORD, mint: { org: 'my-org', permissions: ['read:buckets'] } }
const HASH = hashPassword(PASSWORD, { ln: 10, r: 8, p: 1 })
const REFUSAL = /^\s*users\.0\.mint\.permissions\.1: read:authorizations cannot be minted: InfluxDB answers a list of authorizations with each one's token/m

async function yaml (influx: FakeInflux, permissions: string): Promise<string> {
  return `server: { host: 127.0.0.1, port: 0 }
upstream:
  url: ${influx.url}
  operatorToken: \${INFLUX_OPERATOR_TOKEN}
users:
  - name: alice
    passwordHash: "${await HASH}"
    mint: { org: my-org, permissions: [${permissions}] }
`
}

const env = (influx: FakeInflux): NodeJS.ProcessEnv => ({ ...process.env, INFLUX_OPERATOR_TOKEN: influx.tenancy.operatorToken })

/** Creates an authorization in the double as the gateway would mint it for `permissions`. */
async function mintDirectly (influx: FakeInflux, permissions: string[]): Promise<string> {
  const res = await fetch(`${influx.url}/api/v2/authorizations`, {
    method: 'POST',
    headers: { authorization: `Token ${influx.tenancy.operatorToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      orgID: influx.tenancy.orgID,
      description: 'influx-gateway (memory) session AAAAAAAAAAAA of mallory',
      permissions: permissions.map((p) => {
        const [action, type] = p.split(':')
        return { action, resource: { type, orgID: influx.tenancy.orgID } }
      })
    })
  })
  assert.equal(res.status, 201)
  return (await res.json() as { token: string }).token
}

test('what the refusal prevents: a minted token holding read:authorizations lists the operator\'s and the other sessions\' tokens', async (t) => {
  const gw = await startGateway(t, { users: [ALICE], influx: { tenancy: { users: ['alice'] } } })
  await signIn(gw)
  await signIn(gw)
  const others = gw.influx.tenancy.authorizations().map((a) => a.token)
  assert.equal(others.length, 2)
  // The refusal bypassed: the token a rule `[read:buckets, read:users, read:authorizations]` would have minted.
  const stolen = await mintDirectly(gw.influx, ['read:buckets', 'read:users', 'read:authorizations'])
  const res = await fetch(`${gw.influx.url}/api/v2/authorizations`, { headers: { authorization: `Token ${stolen}` } })
  assert.equal(res.status, 200)
  const listed = (await res.json() as { authorizations: Array<{ token: string }> }).authorizations.map((a) => a.token)
  assert.ok(listed.includes(gw.influx.tenancy.operatorToken), 'the operator token')
  for (const token of others) assert.ok(listed.includes(token), 'another session\'s token')

  // Nor does a configuration object that skipped the loader get one minted: the minter parses it again.
  const [alice] = gw.deps.config.users as [typeof gw.deps.config.users[number]]
  await gw.deps.applyConfig({ ...gw.deps.config, users: [{ ...alice, mint: { org: 'my-org', permissions: ['read:authorizations'] } }] })
  const refused = await fetch(`${gw.url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic('alice', PASSWORD) } })
  assert.equal(refused.status, 503)
  assert.equal(gw.influx.tenancy.authorizations().length, 3)
})

test('a rule minting read:authorizations is refused by check-config and at start, naming the YAML path and why', async (t) => {
  const influx = await startFakeInflux()
  t.after(() => influx.close())
  const file = tempFile(t, 'gateway.yaml', await yaml(influx, 'read:buckets, read:authorizations'))
  const checked = cli(t, ['check-config', '--config', file], { env: env(influx) })
  assert.equal(await checked.exited, 1)
  assert.match(checked.stderr(), REFUSAL)
  const started = cli(t, ['--config', file], { env: env(influx) })
  assert.equal(await started.exited, 1)
  assert.match(started.stderr(), REFUSAL)
  assert.ok(!started.lines.some(isLog('listening')))
  assert.equal(influx.requests.length, 0, 'nothing minted, nothing asked')
})

test('a reload bringing in read:authorizations keeps the running configuration and logs why', async (t: TestContext) => {
  const influx = await startFakeInflux({ tenancy: { users: ['alice'] } })
  t.after(() => influx.close())
  const file = tempFile(t, 'gateway.yaml', await yaml(influx, 'read:buckets'))
  const run = cli(t, ['--config', file], { env: env(influx) })
  const { url } = JSON.parse(await run.waitForLine(isLog('listening'))) as { url: string }
  const cookie = await signIn({ url }, 'alice', PASSWORD)
  writeFileSync(file, await yaml(influx, 'read:buckets, read:authorizations'))
  process.kill(run.child.pid as number, 'SIGHUP')
  const failed = JSON.parse(await run.waitForLine(isLog('config reload failed; the running configuration stays'))) as { problems: string[] }
  assert.ok(failed.problems.some((p) => REFUSAL.test(p)), failed.problems.join('\n'))
  assert.equal((await fetch(`${url}/api/v2/buckets`, { headers: { cookie } })).status, 200, 'the session goes on with its token')
  await signIn({ url }, 'alice', PASSWORD)
  const granted = influx.tenancy.authorizations().map((a) => a.permissions.map((p) => `${p.action}:${p.resource.type}`).join(' '))
  assert.deepEqual(granted, ['read:buckets', 'read:buckets'], 'new sessions are minted by the running configuration')
})
