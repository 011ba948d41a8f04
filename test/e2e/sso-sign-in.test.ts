/**
 * The InfluxDB UI behind single sign-on in Chromium, against a real provider (oidc-provider 8): a deep
 * link goes to the provider's login page and comes back to the page, signed in (the UI's `/api/v2/me`
 * answered with the group's credential); after a sign-out the UI's own sign-in page, reloaded, goes to the
 * provider (whose session still holds) and straight back.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CHROMIUM, launchBrowser } from '../helpers/browser.ts'
import { READERS_TOKEN, startSsoGateway } from '../helpers/sso-gateway.ts'

const skip = CHROMIUM === undefined ? 'chromium not installed' : false

test('the InfluxDB UI: deep link → the provider\'s login → back on the page, signed in; its sign-in page after a sign-out', { skip }, async (t) => {
  const gw = await startSsoGateway(t, { oidc: { uiSignin: true } })
  const page = await (await launchBrowser(t, CHROMIUM as string)).newPage()
  const deepLink = `${gw.url}/orgs/123/data-explorer`
  await page.goto(deepLink)
  assert.equal(new URL(page.url()).origin, gw.provider.issuer, 'at the provider\'s login page')
  await page.fill('input[name=login]', 'alice')
  await page.fill('input[name=password]', 'any-password')
  await Promise.all([page.waitForURL(deepLink), page.click('button[type=submit]')])

  const call = (path: string, method = 'GET'): Promise<number> =>
    page.evaluate(async (a) => (await fetch(a.path, { method: a.method })).status, { path, method })
  assert.equal(await call('/api/v2/setup'), 200)
  assert.equal(await call('/api/v2/me'), 200)
  const me = gw.influx.requests.filter((r) => r.path === '/api/v2/me').at(-1)
  assert.equal(me?.headers.authorization, `Token ${READERS_TOKEN}`)
  // (The provider's own cookies ride along: it shares the host, and cookies ignore ports.)
  assert.doesNotMatch(me?.headers.cookie ?? '', /influxdb-oss-session|influx-gateway-sso/, 'neither the session nor the flow cookie goes upstream')
  assert.equal(await page.evaluate(() => document.cookie), '', 'the session cookie is HttpOnly; the flow cookie is gone')

  // The UI signs out, its next /api/v2/me is refused, and it shows /signin?returnTo=… (a client-side route).
  assert.equal(await call('/api/v2/signout', 'POST'), 204)
  assert.equal(await call('/api/v2/me'), 401)
  await page.evaluate(() => { history.replaceState(null, '', '/signin?returnTo=/orgs/123/data-explorer') })
  // Reloaded, that page goes to the provider, which still knows the user, and back to where the user was.
  await Promise.all([page.waitForURL(deepLink), page.reload()])
  assert.equal(await call('/api/v2/me'), 200)
  const signins = gw.logs.filter((l) => l.audit === 'signin' && l.result === 'success' && l.source === 'oidc')
  assert.equal(signins.length, 2)
})
