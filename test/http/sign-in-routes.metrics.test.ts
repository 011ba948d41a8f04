import assert from 'node:assert/strict'
import { request } from 'node:http'
import { connect } from 'node:net'
import { test } from 'node:test'
import { errors } from '../../src/errors.ts'
import { ALICE, basic, startGateway, type TestGateway } from '../helpers/gateway.ts'

const BOB = { name: 'bob', password: 'bob-password', token: 'bob-token', disabled: true }
const OUTCOMES = ['success', 'failure', 'disabled', 'throttled', 'busy', 'cross_site', 'too_large', 'body_timeout', 'aborted', 'no_access', 'directory_unavailable', 'sso_denied', 'sso_refused', 'sso_unavailable', 'mint_unavailable', 'mint_refused', 'error']

/** Every `influx_gateway_signins_total` line of a scrape, by outcome. */
async function signinCounters (gw: TestGateway): Promise<Record<string, string>> {
  const text = await (await fetch(`${gw.url}/gateway/metrics`)).text()
  const lines = text.split('\n').filter((l) => l.startsWith('influx_gateway_signins_total{'))
  return Object.fromEntries(lines.map((l) => [/outcome="(\w+)"/.exec(l)?.[1] ?? l, l]))
}

/** The exact lines expected when `counts` (outcome → n) happened and nothing else. */
function expected (counts: Record<string, number>): Record<string, string> {
  return Object.fromEntries(OUTCOMES.map((o) => [o, `influx_gateway_signins_total{outcome="${o}"} ${counts[o] ?? 0}`]))
}

let next = 0
/** POSTs a sign-in and resolves with its status once the gateway has logged the request as over. */
async function signin (gw: TestGateway, headers: Record<string, string>, body?: string): Promise<number> {
  const reqId = `metrics-${next++}`
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(`${gw.url}/api/v2/signin`, { method: 'POST', headers: { ...headers, 'x-request-id': reqId } }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end(body)
  })
  await gw.waitForLog((l) => l.reqId === reqId && l.msg === 'request')
  return status
}

/** Sends a sign-in head announcing a 10-byte body and one byte of it; `then` decides what follows. */
async function partialSignin (gw: TestGateway, then: 'wait' | 'leave'): Promise<void> {
  const reqId = `metrics-${next++}`
  const socket = connect(Number(new URL(gw.url).port), '127.0.0.1')
  socket.on('error', () => {})
  socket.write(`POST /api/v2/signin HTTP/1.1\r\nHost: x\r\nX-Request-Id: ${reqId}\r\nAuthorization: ${basic(ALICE.name, ALICE.password)}\r\nContent-Length: 10\r\n\r\nx`)
  if (then === 'leave') socket.end()
  await new Promise((resolve) => socket.once('close', resolve))
  await gw.waitForLog((l) => l.reqId === reqId && l.msg === 'request')
}

test('each kind of sign-in refusal is counted under its own outcome, every outcome starting at zero', async (t) => {
  const gw = await startGateway(t, { users: [ALICE, BOB], config: { signin: { maxFailures: 0 }, limits: { signinBodyTimeout: '200ms' } } })
  const counts: Record<string, number> = {}
  const step = async (outcome: string, status: number | undefined, attempt: () => Promise<number | undefined>): Promise<void> => {
    assert.equal(await attempt(), status, outcome)
    counts[outcome] = (counts[outcome] ?? 0) + 1
    assert.deepEqual(await signinCounters(gw), expected(counts), `after a ${outcome} sign-in`)
  }
  assert.deepEqual(await signinCounters(gw), expected({}), 'all outcomes are exported at zero before any sign-in')
  const alice = { authorization: basic(ALICE.name, ALICE.password) }
  await step('success', 204, () => signin(gw, alice))
  await step('failure', 401, () => signin(gw, { authorization: basic(ALICE.name, 'wrong') }))
  await step('disabled', 403, () => signin(gw, { authorization: basic(BOB.name, BOB.password) }))
  await step('cross_site', 403, () => signin(gw, { ...alice, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }))
  await step('too_large', 413, () => signin(gw, { ...alice, 'content-type': 'text/plain' }, 'x'.repeat(2000)))
  await step('body_timeout', undefined, async () => { await partialSignin(gw, 'wait'); return undefined })
  await step('aborted', undefined, async () => { await partialSignin(gw, 'leave'); return undefined })
  const identities = gw.deps.runtime().identities
  gw.deps.replace({ identities: { verify: async () => { throw errors.signinBusy() } } })
  await step('busy', 503, () => signin(gw, alice))
  gw.deps.replace({ identities })
  const throttle = gw.deps.throttle
  gw.deps.replace({ throttle: { ...throttle, begin: async () => { throw errors.sessionStoreDown(new Error('store down')) } } })
  await step('error', 503, () => signin(gw, alice))
})

test('a banned sign-in is counted as throttled, not as a failure', async (t) => {
  const gw = await startGateway(t, { config: { signin: { maxFailures: 1 } } })
  const wrong = { authorization: basic(ALICE.name, 'wrong') }
  assert.equal(await signin(gw, wrong), 401)
  assert.equal(await signin(gw, wrong), 429)
  assert.deepEqual(await signinCounters(gw), expected({ failure: 1, throttled: 1 }))
})
