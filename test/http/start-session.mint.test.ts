/**
 * Sign-in with a `mint` credential (src/http/start-session.ts with src/mint/token-minter.ts): a token is minted
 * for each session with the operator token, scoped as configured, and only it goes upstream; InfluxDB down or
 * refusing leaves no session and nothing half-made.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { hashSessionId, sessionRef } from '../../src/session/session-id.ts'
import { responseValidator, schemaValidator } from '../helpers/openapi.ts'
import { basic, signIn, startGateway, type TestUser } from '../helpers/gateway.ts'
import { parsePrometheus, sampleValue } from '../helpers/prometheus.ts'

const MINT = { org: 'my-org', permissions: ['read:buckets', 'write:buckets/telemetry'] }
export const MINTER: TestUser = { name: 'alice', password: 'correct horse battery staple', mint: MINT }
const INFLUX = { tenancy: { users: ['alice'], buckets: ['telemetry'] } }

/** The session id in a `Cookie` value. */
const idOf = (cookie: string): string => cookie.slice(cookie.indexOf('=') + 1)

test('sign-in mints a token scoped as configured, for the InfluxDB user of the same name, named after the session ref', async (t) => {
  const gw = await startGateway(t, { users: [MINTER], influx: INFLUX })
  const cookie = await signIn(gw)
  const [auth, ...more] = gw.influx.tenancy.authorizations()
  assert.ok(auth !== undefined)
  assert.equal(more.length, 0)
  const post = gw.influx.requests.find((r) => r.method === 'POST' && r.path === '/api/v2/authorizations')
  assert.equal(post?.headers.authorization, `Token ${gw.influx.tenancy.operatorToken}`)
  const body = JSON.parse(post.body.toString()) as Record<string, unknown>
  assert.equal(schemaValidator('AuthorizationPostRequest')(body).errors, '')
  const telemetry = gw.influx.requests.find((r) => r.path === '/api/v2/buckets' && r.query.get('name') === 'telemetry')
  assert.ok(telemetry !== undefined, 'the named bucket is looked up')
  assert.deepEqual(body.permissions, [
    { action: 'read', resource: { type: 'buckets', orgID: gw.influx.tenancy.orgID } },
    { action: 'write', resource: { type: 'buckets', orgID: gw.influx.tenancy.orgID, id: '0000000000000201' } }
  ])
  assert.equal(auth.user, 'alice', 'the authorization is the InfluxDB user alice\'s')
  const id = idOf(cookie)
  const ref = sessionRef(`x:session:${hashSessionId(id)}`)
  assert.match(auth.description, new RegExp(`^influx-gateway \\(memory\\) session ${ref} of alice$`))
  assert.ok(!auth.description.includes(id), 'never the session id')
  // A second sign-in gets a token of its own; the org and user are not looked up again (cached).
  await signIn(gw)
  assert.equal(gw.influx.tenancy.authorizations().length, 2)
  assert.equal(gw.influx.count('/api/v2/orgs'), 1)
  assert.equal(gw.influx.count('/api/v2/users'), 1)
  const minted = await gw.waitForLog((l) => l.audit === 'token' && l.result === 'minted')
  assert.equal(minted.user, 'alice')
  const metrics = parsePrometheus(await (await fetch(`${gw.url}/gateway/metrics`)).text())
  assert.equal(sampleValue(metrics, 'influx_gateway_tokens_minted_total'), 2)
})

test('requests go upstream with the session\'s minted token, never the operator token', async (t) => {
  const gw = await startGateway(t, { users: [MINTER], influx: INFLUX })
  const cookie = await signIn(gw)
  const other = await signIn(gw)
  const [first, second] = gw.influx.tenancy.authorizations()
  for (let i = 0; i < 3; i++) assert.equal((await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })).status, 200)
  assert.equal(gw.influx.last()?.headers.authorization, `Token ${first?.token ?? ''}`)
  await fetch(`${gw.url}/api/v2/me`, { headers: { cookie: other } })
  assert.equal(gw.influx.last()?.headers.authorization, `Token ${second?.token ?? ''}`)
  await fetch(`${gw.url}/query?db=x&q=show`, { headers: { cookie } })
  const forwarded = gw.influx.requests.filter((r) => !r.path.startsWith('/api/v2/authorizations') &&
    !['/api/v2/orgs', '/api/v2/users'].includes(r.path) && r.query.get('name') === null)
  assert.ok(forwarded.length >= 5)
  for (const r of forwarded) assert.notEqual(r.headers.authorization, `Token ${gw.influx.tenancy.operatorToken}`, `${r.method} ${r.url}`)
  assert.doesNotMatch(gw.logText(), new RegExp(gw.influx.tenancy.operatorToken))
  assert.ok(!gw.logText().includes(first?.token ?? '-'), 'no minted token in a log line')
})

test('InfluxDB unavailable at sign-in: 503, no session, no cookie, nothing left in InfluxDB', async (t) => {
  const gw = await startGateway(t, { users: [MINTER], influx: INFLUX })
  gw.influx.failNext('POST', '/api/v2/authorizations', 1, 503)
  const res = await fetch(`${gw.url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic(MINTER.name, MINTER.password) } })
  assert.equal(res.status, 503)
  assert.equal(res.headers.get('set-cookie'), null)
  assert.equal(res.headers.get('x-platform-error-code'), 'unavailable')
  assert.deepEqual(await res.json(), { code: 'unavailable', message: 'InfluxDB could not create a token for this session; retry shortly' })
  assert.equal(await gw.deps.sessions.count(), 0)
  assert.deepEqual(gw.influx.tenancy.authorizations(), [])
  const metrics = parsePrometheus(await (await fetch(`${gw.url}/gateway/metrics`)).text())
  assert.equal(sampleValue(metrics, 'influx_gateway_signins_total', { outcome: 'mint_unavailable' }), 1)
})

test('InfluxDB unreachable at sign-in: 503 and no session', async (t) => {
  const gw = await startGateway(t, { users: [MINTER], upstreamUrl: 'http://127.0.0.1:9', operatorToken: 'unused-operator-token' })
  const res = await fetch(`${gw.url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic(MINTER.name, MINTER.password) } })
  assert.equal(res.status, 503)
  assert.equal(res.headers.get('set-cookie'), null)
  assert.equal(await gw.deps.sessions.count(), 0)
  const line = await gw.waitForLog((l) => l.result === 'mint failed')
  assert.equal(line.user, 'alice')
})

test('an operator token InfluxDB refuses to mint with: 403 with InfluxDB\'s reason, and no session', async (t) => {
  const gw = await startGateway(t, { users: [MINTER], influx: INFLUX, operatorToken: 'test-token' }) // a token without the permission
  const res = await fetch(`${gw.url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic(MINTER.name, MINTER.password) } })
  assert.equal(res.status, 403)
  const body = await res.json() as { code: string, message: string }
  assert.equal(body.code, 'forbidden')
  assert.equal(body.message, `InfluxDB refused to create a token for this session: write:orgs/${gw.influx.tenancy.orgID}/authorizations is unauthorized`)
  assert.equal(await gw.deps.sessions.count(), 0)
  const metrics = parsePrometheus(await (await fetch(`${gw.url}/gateway/metrics`)).text())
  assert.equal(sampleValue(metrics, 'influx_gateway_signins_total', { outcome: 'mint_refused' }), 1)
})

test('a session that cannot be stored after its token was minted leaves no token behind', async (t) => {
  const gw = await startGateway(t, { users: [MINTER], influx: INFLUX })
  const sessions = gw.deps.sessions
  gw.deps.replace({
    sessions: Object.assign(Object.create(sessions) as typeof sessions, {
      create: async (...args: Parameters<typeof sessions.create>) => {
        await args[3]?.('A'.repeat(43), 'AAAAAAAAAAAA') // the token is minted, then the store fails
        throw new Error('store failed')
      }
    })
  })
  const res = await fetch(`${gw.url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic(MINTER.name, MINTER.password) } })
  assert.equal(res.status, 500)
  assert.equal(res.headers.get('set-cookie'), null)
  await gw.influx.waitForRequest((r) => r.method === 'DELETE' && r.path.startsWith('/api/v2/authorizations/'))
  assert.deepEqual(gw.influx.tenancy.authorizations(), [])
  await gw.waitForLog((l) => l.result === 'revoked' && l.reason === 'session not created')
})

test('the answers the double gives the minter are valid against the contract', async (t) => {
  const gw = await startGateway(t, { users: [MINTER], influx: INFLUX })
  await signIn(gw)
  const op = { authorization: `Token ${gw.influx.tenancy.operatorToken}` }
  const list = await (await fetch(`${gw.influx.url}/api/v2/authorizations?orgID=${gw.influx.tenancy.orgID}`, { headers: op })).json()
  assert.equal(responseValidator('/authorizations', 'get', 200)(list).errors, '')
  const orgs = await (await fetch(`${gw.influx.url}/api/v2/orgs?org=my-org`, { headers: op })).json()
  assert.equal(responseValidator('/orgs', 'get', 200)(orgs).errors, '')
  const users = await (await fetch(`${gw.influx.url}/api/v2/users?name=alice`, { headers: op })).json()
  assert.equal(responseValidator('/users', 'get', 200)(users).errors, '')
})
