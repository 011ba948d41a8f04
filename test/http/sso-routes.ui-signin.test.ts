/**
 * `oidc.uiSignin`: the InfluxDB UI's pages opened without a session go to the provider and back; its
 * scripts and API calls are answered as before; Basic sign-in keeps working for file users. And the
 * return from a provider on another site, which must not lose a SameSite=Strict cookie.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ALICE, signIn } from '../helpers/gateway.ts'
import { FROM_PROVIDER, SsoBrowser } from '../helpers/sso-browser.ts'
import { startSsoGateway } from '../helpers/sso-gateway.ts'

const PAGE_LOAD = { 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }

test('a UI page load without a session goes to the login route, returning to that page (to /signin\'s returnTo)', async (t) => {
  const gw = await startSsoGateway(t, { oidc: { uiSignin: true } })
  const browser = new SsoBrowser()
  const before = gw.influx.requests.length
  const cases: Array<[string, string]> = [
    ['/signin?returnTo=/orgs/1/data-explorer', '/orgs/1/data-explorer'],
    ['/signin', '/'],
    ['/signin?returnTo=//evil.example', '/'],
    ['/orgs/123/dashboards?x=1', '/orgs/123/dashboards?x=1'],
    ['/', '/']
  ]
  for (const [page, back] of cases) {
    const hop = await browser.request(`${gw.url}${page}`, { headers: PAGE_LOAD })
    assert.equal(hop.status, 302, page)
    assert.equal(hop.location, `${gw.url}/gateway/oidc/login?returnTo=${encodeURIComponent(back)}`, page)
  }
  const legacy = await browser.request(`${gw.url}/signin`, { headers: { accept: 'text/html,application/xhtml+xml' } })
  assert.equal(legacy.status, 302, 'a browser without fetch metadata is recognised by Accept')
  assert.equal(gw.influx.requests.length, before, 'nothing reached InfluxDB')

  // Followed through: the provider, then the page.
  const callback = await browser.signInAtProvider(`${gw.url}/signin?returnTo=%2Forgs%2F1`, 'alice', gw.callbackUrl)
  assert.equal((await browser.request(callback, { headers: FROM_PROVIDER })).location, `${gw.url}/orgs/1`)
  const page = await browser.request(`${gw.url}/orgs/1`, { headers: PAGE_LOAD })
  assert.equal(page.status, 200, 'with a session the page is InfluxDB\'s')
})

test('the UI\'s scripts and API calls are not redirected; Basic sign-in works for file users; without uiSignin nothing changes', async (t) => {
  const gw = await startSsoGateway(t, { oidc: { uiSignin: true }, gateway: { users: [ALICE] } })
  const script = await fetch(`${gw.url}/static/app.js`, { headers: { 'sec-fetch-dest': 'script' }, redirect: 'manual' })
  assert.notEqual(script.status, 302)
  const me = await fetch(`${gw.url}/api/v2/me`, { redirect: 'manual' })
  assert.equal(me.status, 401)
  assert.match(me.headers.get('content-type') ?? '', /json/)
  const cookie = await signIn(gw)
  assert.equal((await fetch(`${gw.url}/api/v2/me`, { headers: { cookie } })).status, 200)

  const off = await startSsoGateway(t)
  const browser = new SsoBrowser()
  assert.notEqual((await browser.request(`${off.url}/signin`, { headers: PAGE_LOAD })).status, 302)
})

test('coming back from a provider on another site: a page continues to returnTo from this origin', async (t) => {
  const gw = await startSsoGateway(t)
  const browser = new SsoBrowser()
  const callback = await browser.signInAtProvider(gw.loginUrl('/orgs/1?a="b"&c=<d>'), 'alice', gw.callbackUrl)
  const hop = await browser.request(callback, { headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' } })
  assert.equal(hop.status, 200)
  assert.match(hop.body, /<meta http-equiv="refresh" content="0;url=\/orgs\/1\?a=%22b%22&amp;c=%3Cd%3E">/)
  assert.ok(browser.cookies.has('influxdb-oss-session'))
  // The page's address holds the code and state: the next page (and InfluxDB's access log) must not get it as Referer.
  assert.equal(hop.headers['referrer-policy'], 'no-referrer')
})

test('a return without fetch metadata (a plain-HTTP gateway on a host name, an older browser) also gets the page: no loop with uiSignin', async (t) => {
  const gw = await startSsoGateway(t, { oidc: { uiSignin: true } })
  const browser = new SsoBrowser()
  const callback = await browser.signInAtProvider(gw.loginUrl('/orgs/1'), 'alice', gw.callbackUrl)
  // A 302 here would be followed as the provider's navigation: the Strict cookie stays behind, the page
  // has no session, and uiSignin sends the browser to the provider again, and back, without end.
  const hop = await browser.request(callback)
  assert.equal(hop.status, 200, hop.body)
  assert.match(hop.body, /<meta http-equiv="refresh" content="0;url=\/orgs\/1">/)
  assert.ok(browser.cookies.has('influxdb-oss-session'))
})
