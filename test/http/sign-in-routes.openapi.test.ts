import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ALICE, basic, signIn, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { expectedNoContent, responseValidator, schemaValidator, type BodyValidator } from '../helpers/openapi.ts'

/**
 * The gateway's own answers (sign-in, sign-out, its 401/403/405) checked against InfluxDB's OpenAPI
 * contract, so clients written against InfluxDB (the UI, the client libraries) read them as InfluxDB's.
 */

const BOB = { name: 'bob', password: 'bob password', disabled: true, token: 'bob-token' }

/** Asserts the InfluxDB error shape and the body's validity; returns the raw body text. */
async function assertSpecError (res: Response, status: number, validator: BodyValidator): Promise<string> {
  const text = await res.text()
  assert.equal(res.status, status, text)
  assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8')
  const body = JSON.parse(text) as { code?: unknown }
  assert.equal(res.headers.get('x-platform-error-code'), body.code)
  const { valid, errors } = validator(body)
  assert.ok(valid, `${text} does not match the spec: ${errors}`)
  return text
}

async function post (gw: TestGateway, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return await fetch(`${gw.url}/api/v2${path}`, { method: 'POST', headers })
}

test('sign-in and sign-out answer as oss.yml declares', async (t) => {
  // Throttling off: this test makes more failed sign-ins than the default allows.
  const gw = await startGateway(t, { users: [ALICE, BOB], config: { signin: { maxFailures: 0 } } })

  await t.test('sign-in success is 204 without a body', async () => {
    assert.equal(expectedNoContent('/signin', 'post', 204), true)
    const res = await post(gw, '/signin', { authorization: basic(ALICE.name, ALICE.password) })
    assert.equal(res.status, 204)
    assert.equal(await res.text(), '')
    assert.equal(res.headers.get('content-type'), null)
    assert.match(res.headers.get('set-cookie') ?? '', /^influxdb-oss-session=/)
  })

  await t.test('every sign-in failure is the same 401, valid against the spec', async () => {
    const validator = responseValidator('/signin', 'post', 401)
    const failures: Record<string, Record<string, string>> = {
      'no header': {},
      'not Basic': { authorization: 'Token abc' },
      'wrong password': { authorization: basic(ALICE.name, 'wrong password') },
      'unknown user': { authorization: basic('mallory', ALICE.password) },
      'bad base64': { authorization: 'Basic !!!not-base64!!!' },
      'no colon': { authorization: `Basic ${Buffer.from('alice').toString('base64')}` }
    }
    const bodies = new Map<string, string>()
    for (const [name, headers] of Object.entries(failures)) {
      bodies.set(name, await assertSpecError(await post(gw, '/signin', headers), 401, validator))
    }
    assert.deepEqual(new Set(bodies.values()), new Set(['{"code":"unauthorized","message":"unauthorized access"}']),
      `bodies differ: ${JSON.stringify(Object.fromEntries(bodies))}`)
  })

  await t.test('a disabled user with the right password gets 403, valid against the spec', async () => {
    const text = await assertSpecError(await post(gw, '/signin', { authorization: basic(BOB.name, BOB.password) }),
      403, responseValidator('/signin', 'post', 403))
    assert.deepEqual(JSON.parse(text), { code: 'forbidden', message: 'User is inactive' })
  })

  await t.test('sign-out is 204 without a body, then 401 for the same cookie', async () => {
    assert.equal(expectedNoContent('/signout', 'post', 204), true)
    const cookie = await signIn(gw)
    const res = await post(gw, '/signout', { cookie })
    assert.equal(res.status, 204)
    assert.equal(await res.text(), '')
    const again = await assertSpecError(await post(gw, '/signout', { cookie }), 401, responseValidator('/signout', 'post', 401))
    assert.equal(again, '{"code":"unauthorized","message":"unauthorized access"}')
  })

  await t.test('sign-out without a cookie is 401, valid against the spec', async () => {
    await assertSpecError(await post(gw, '/signout'), 401, responseValidator('/signout', 'post', 401))
  })

  await t.test('a protected route without a session is 401, valid against GET /buckets 401', async () => {
    const res = await fetch(`${gw.url}/api/v2/buckets`)
    const text = await assertSpecError(res, 401, responseValidator('/buckets', 'get', 401))
    assert.equal(text, '{"code":"unauthorized","message":"unauthorized access"}')
    assert.equal(gw.influx.requests.length, 0, 'nothing reached InfluxDB')
  })

  await t.test('a wrong method on sign-in is 405, valid against the Error schema', async () => {
    const res = await fetch(`${gw.url}/api/v2/signin`)
    const text = await assertSpecError(res, 405, schemaValidator('Error'))
    assert.equal(JSON.parse(text).code, 'method not allowed')
    assert.equal(res.headers.get('allow'), 'POST')
  })
})
