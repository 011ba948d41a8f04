/**
 * The InfluxDB UI's sign-in sequence in Chromium with a directory user (real OpenLDAP): setup check,
 * /me refused, sign-in, /me with the credential of the user's group; then the user is removed from that
 * group and, at the next check, the UI is told `User is inactive` (on which it signs out).
 */
import assert from 'node:assert/strict'
import { mock, test } from 'node:test'
import { Attribute, Change } from 'ldapts'
import { CHROMIUM, launchBrowser } from '../helpers/browser.ts'
import { requireBinary } from '../helpers/binaries.ts'
import { RULE_TOKENS, startDirectoryGateway } from '../helpers/directory-gateway.ts'
import { startSlapd } from '../helpers/slapd.ts'

const SLAPD = requireBinary('slapd', 'slapd', 'real OpenLDAP (browser sign-in)')
const skip = CHROMIUM === undefined ? 'chromium not installed' : SLAPD === undefined ? 'slapd not installed' : false

test('the InfluxDB UI\'s sequence with a directory user, until the directory takes their access away', { skip }, async (t) => {
  const slapd = await startSlapd(SLAPD as string)
  t.after(() => slapd.stop())
  // The gateway's clock is faked (to pass the refresh interval); the browser's is not needed.
  mock.timers.enable({ apis: ['Date'], now: Date.now() })
  t.after(() => mock.timers.reset())
  const gw = await startDirectoryGateway(t, slapd, { config: { session: { idleTimeout: '1h' } } })
  const bob = slapd.people.bob
  assert.ok(bob)
  const page = await (await launchBrowser(t, CHROMIUM as string)).newPage()
  await page.goto(`${gw.url}/`)
  const call = (path: string, method = 'GET', headers: Record<string, string> = {}): Promise<{ status: number, body: string }> =>
    page.evaluate(async (a) => { const r = await fetch(a.path, { method: a.method, headers: a.headers }); return { status: r.status, body: await r.text() } }, { path, method, headers })
  const basic = `Basic ${Buffer.from(`bob:${bob.password}`).toString('base64')}`
  assert.equal((await call('/api/v2/setup')).status, 200)
  assert.equal((await call('/api/v2/me')).status, 401)
  assert.equal((await call('/api/v2/signin', 'POST', { Authorization: `Basic ${Buffer.from('bob:wrong-password').toString('base64')}` })).status, 401)
  assert.equal((await call('/api/v2/signin', 'POST', { Authorization: basic })).status, 204)
  assert.equal(await page.evaluate(() => document.cookie), '', 'the session cookie is HttpOnly')
  await call('/api/v2/me')
  const me = gw.influx.requests.filter((r) => r.path === '/api/v2/me').at(-1)
  assert.equal(me?.headers.authorization, `Token ${RULE_TOKENS['influx-readers']}`, 'bob\'s group\'s credential, not a cookie')
  assert.equal(me?.headers.cookie, undefined)

  const readers = `cn=influx-readers,ou=groups,${slapd.suffix}`
  await slapd.admin((c) => c.modify(readers, new Change({ operation: 'delete', modification: new Attribute({ type: 'member', values: [bob.dn] }) })))
  mock.timers.tick(5 * 60_000)
  assert.deepEqual(await call('/api/v2/me'), { status: 403, body: '{"code":"forbidden","message":"User is inactive"}' })
  assert.equal((await call('/api/v2/signout', 'POST')).status, 401, 'the session was already ended')
  const upstream = gw.influx.requests.filter((r) => r.path !== '/favicon.ico').map((r) => `${r.method} ${r.path}`)
  assert.deepEqual(upstream, ['GET /', 'GET /api/v2/setup', 'GET /api/v2/me'])
})
