import assert from 'node:assert/strict'
import { mock, test } from 'node:test'
import type { Page } from 'playwright-core'
import { createReloader } from '../../src/reload.ts'
import { CHROMIUM, launchBrowser, startSite } from '../helpers/browser.ts'
import { ALICE, startGateway } from '../helpers/gateway.ts'

const skip = CHROMIUM === undefined ? 'chromium not installed' : false
const BASIC = `Basic ${Buffer.from(`${ALICE.name}:${ALICE.password}`).toString('base64')}`
const WRITE = '/api/v2/write?org=o&bucket=b'
const QUERY = '/api/v2/query?org=o'

interface FlowResult { signin: number, cookieSeen: string, write: number, query: number, csv: string, signout: number, after: number }

/** The app's whole flow, run inside the page: sign in, write, query, sign out, be refused. */
async function appFlow (page: Page, base: string, credentials: RequestCredentials): Promise<FlowResult> {
  return await page.evaluate(async ({ base, credentials, basic, write, query }) => {
    const call = (path: string, init: RequestInit = {}): Promise<Response> => fetch(`${base}${path}`, { credentials, ...init })
    const signin = await call('/api/v2/signin', { method: 'POST', headers: { Authorization: basic } })
    const cookieSeen = document.cookie
    const w = await call(write, { method: 'POST', body: 'cpu load=0.5' })
    const q = await call(query, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"query":"from(bucket: \\"b\\")"}' })
    const csv = await q.text()
    const signout = await call('/api/v2/signout', { method: 'POST' })
    const after = await call('/api/v2/buckets')
    return { signin: signin.status, cookieSeen, write: w.status, query: q.status, csv, signout: signout.status, after: after.status }
  }, { base, credentials, basic: BASIC, write: WRITE, query: QUERY })
}

function assertFlow (result: FlowResult): void {
  assert.deepEqual({ ...result, csv: undefined }, { signin: 204, cookieSeen: '', write: 204, query: 200, csv: undefined, signout: 204, after: 401 })
  assert.match(result.csv, /_value/)
}

test('same-origin app served through the gateway: sign in, write, query, sign out; then the idle timeout (fake clock)', { skip }, async (t) => {
  // The gateway's clock (and ioredis-mock's TTLs) is faked; the browser's is not needed.
  mock.timers.enable({ apis: ['Date'], now: Date.now() })
  t.after(() => mock.timers.reset())
  const gw = await startGateway(t, { config: { session: { idleTimeout: '10m' } } })
  const page = await (await launchBrowser(t, CHROMIUM as string)).newPage()
  await page.goto(`${gw.url}/`)
  assert.ok(gw.influx.requests.some((r) => r.path === '/'), 'the page is InfluxDB\'s UI path, through the gateway')
  assertFlow(await appFlow(page, '', 'same-origin'))
  const write = gw.influx.requests.find((r) => r.path === '/api/v2/write')
  assert.equal(write?.headers.authorization, 'Token test-token')
  assert.equal(write?.headers.cookie, undefined)
  assert.equal(write?.body.toString(), 'cpu load=0.5')

  const signedIn = await page.evaluate(async (basic) => (await fetch('/api/v2/signin', { method: 'POST', headers: { Authorization: basic } })).status, BASIC)
  assert.equal(signedIn, 204)
  const buckets = async (): Promise<number> => await page.evaluate(async () => (await fetch('/api/v2/buckets')).status)
  mock.timers.tick(10 * 60_000 - 1000)
  assert.equal(await buckets(), 200, 'alive after 9 min 59 s, and renewed')
  const forwarded = gw.influx.count('/api/v2/buckets')
  mock.timers.tick(10 * 60_000 + 1)
  assert.equal(await buckets(), 401, 'ended 10 idle minutes after its last use')
  assert.equal(gw.influx.count('/api/v2/buckets'), forwarded, 'the refused request never reached InfluxDB')
})

test('cross-origin app listed in cors.origins: the same flow with credentials: include', { skip }, async (t) => {
  const app = await startSite(t, { '/': '<!doctype html><title>dashboard</title>' })
  const gw = await startGateway(t, { config: { cors: { origins: [app.origin] } } })
  const page = await (await launchBrowser(t, CHROMIUM as string)).newPage()
  await page.goto(`${app.origin}/`)
  assertFlow(await appFlow(page, gw.url, 'include'))
  const write = gw.influx.requests.find((r) => r.path === '/api/v2/write')
  assert.equal(write?.headers.origin, app.origin)
  assert.equal(write?.headers.authorization, 'Token test-token')
  assert.equal(gw.influx.requests.filter((r) => r.method === 'OPTIONS').length, 0, 'preflights stay at the gateway')
})

test('a page on an unlisted origin cannot ride on the user\'s session', { skip }, async (t) => {
  const gw = await startGateway(t)
  const form = `<!doctype html><form method="POST" enctype="text/plain" action="${gw.url}${WRITE}">` +
    '<input name="cpu load" value="0.9"></form><script>document.forms[0].submit()</script>'
  const evil = await startSite(t, {
    '/': '<!doctype html><title>evil</title>',
    '/form': form
  })
  const browser = await launchBrowser(t, CHROMIUM as string)
  const page = await browser.newPage()
  await page.goto(`${gw.url}/`)
  assert.equal(await page.evaluate(async (basic) => (await fetch('/api/v2/signin', { method: 'POST', headers: { Authorization: basic } })).status, BASIC), 204)

  const attacker = await browser.newPage()
  await attacker.goto(`${evil.origin}/`)
  const seen = await attacker.evaluate(async ({ url }) => {
    const cors = await fetch(url, { method: 'POST', credentials: 'include', body: 'cpu load=0.9' }).then((r) => `status ${r.status}`, (e: Error) => e.name)
    const noCors = await fetch(url, { method: 'POST', credentials: 'include', mode: 'no-cors', body: 'cpu load=0.9' }).then((r) => r.type)
    return { cors, noCors }
  }, { url: `${gw.url}${WRITE}` })
  assert.deepEqual(seen, { cors: 'TypeError', noCors: 'opaque' }, 'the page learns nothing')

  await attacker.goto(`${evil.origin}/form`)
  await attacker.waitForURL(`${gw.url}${WRITE}`)
  assert.match(await attacker.content(), /cross-site request refused/)
  assert.equal(gw.influx.count('/api/v2/write'), 0, 'nothing reached InfluxDB')
  assert.equal(await page.evaluate(async () => (await fetch('/api/v2/buckets')).status), 200, 'the user\'s own session is untouched')
})

test('the InfluxDB UI\'s sequence, including a user disabled by a config change', { skip }, async (t) => {
  const gw = await startGateway(t)
  const page = await (await launchBrowser(t, CHROMIUM as string)).newPage()
  await page.goto(`${gw.url}/`)
  const status = (path: string, method = 'GET', headers: Record<string, string> = {}): Promise<number> =>
    page.evaluate(async (a) => (await fetch(a.path, { method: a.method, headers: a.headers })).status, { path, method, headers })
  assert.equal(await status('/api/v2/setup'), 200)
  assert.equal(await status('/api/v2/me'), 401)
  assert.equal(await status('/api/v2/signin', 'POST', { Authorization: BASIC }), 204)
  assert.equal(await status('/api/v2/me'), 200)
  const me = gw.influx.requests.find((r) => r.path === '/api/v2/me')
  assert.equal(me?.headers.authorization, 'Token test-token', '/api/v2/me is proxied with the user\'s credential')
  assert.equal(me?.headers.cookie, undefined)
  // Disabled the way an operator does it: a config reload.
  const reloader = createReloader({ deps: gw.deps, logger: gw.deps.logger, load: () => ({ ...gw.deps.config, users: gw.deps.config.users.map((u) => ({ ...u, disabled: true })) }) })
  assert.equal(await reloader.reload('test'), true)
  const inactive = await page.evaluate(async () => { const r = await fetch('/api/v2/me'); return { status: r.status, body: await r.json() } })
  assert.deepEqual(inactive, { status: 403, body: { code: 'forbidden', message: 'User is inactive' } })
  assert.equal(await status('/api/v2/signout', 'POST'), 401, 'the session was already ended')
  assert.equal(await status('/api/v2/me'), 401)
  const upstream = gw.influx.requests.filter((r) => r.path !== '/favicon.ico').map((r) => `${r.method} ${r.path}`)
  assert.deepEqual(upstream, ['GET /', 'GET /api/v2/setup', 'GET /api/v2/me'])
})
