/**
 * Single sign-on through HTTP against a real provider (oidc-provider 8): the flow from the login route
 * to a session, and each way its return is refused (state, replay, another browser's flow, the
 * provider's own error, no access), logout, and resource isolation on these routes.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createExpirySweeper } from '../../src/session/expiry-sweeper.ts'
import { createMemoryRedisClient } from '../../src/session/memory-redis-client.ts'
import { createSignInFlowStore } from '../../src/session/sign-in-flow-store.ts'
import { FROM_PROVIDER, SsoBrowser } from '../helpers/sso-browser.ts'
import { READERS_TOKEN, startSsoGateway, type SsoGateway } from '../helpers/sso-gateway.ts'
import { randomBytes } from 'node:crypto'
import { createRecordSigner } from '../../src/session/record-signer.ts'

/** Asserts an HTML refusal page: status, a readable sentence, no JSON, nothing from `forbidden` echoed. */
function assertPage (hop: { status: number, body: string }, status: number, sentence: RegExp, forbidden: string[] = []): void {
  assert.equal(hop.status, status, hop.body)
  assert.match(hop.body, /^<!doctype html>/)
  assert.match(hop.body, sentence)
  for (const f of forbidden) assert.ok(!hop.body.includes(f), `the page must not show ${f}`)
}

/** The audit lines of refused single sign-ons. */
function refusals (gw: SsoGateway): Array<Record<string, unknown>> {
  return gw.logs.filter((l) => l.audit === 'signin' && l.source === 'oidc' && l.result !== 'success')
}

test('sign-in at the provider: a session with the credential of the user\'s group, then back to returnTo', async (t) => {
  const gw = await startSsoGateway(t)
  const browser = new SsoBrowser()
  const callback = await browser.signInAtProvider(gw.loginUrl('/orgs/123/data-explorer?x=1'), 'alice', gw.callbackUrl)
  const back = await browser.request(callback, { headers: FROM_PROVIDER })
  assert.equal(back.status, 302, back.body)
  assert.equal(back.location, `${gw.url}/orgs/123/data-explorer?x=1`)
  assert.ok(browser.cookies.has('influxdb-oss-session'), 'the session cookie is set')
  assert.deepEqual([...browser.cookies.keys()].filter((k) => k.startsWith('influx-gateway-sso')), [], 'the flow cookie is dropped')

  const me = await browser.request(`${gw.url}/api/v2/me`)
  assert.equal(me.status, 200)
  assert.equal(gw.influx.requests.at(-1)?.headers.authorization, `Token ${READERS_TOKEN}`)
  const session = JSON.parse((await browser.request(`${gw.url}/gateway/session`)).body) as { user: string }
  assert.equal(session.user, 'alice')
  const audit = await gw.waitForLog((l) => l.audit === 'signin' && l.result === 'success')
  assert.equal(audit.source, 'oidc')
  assert.equal(audit.user, 'alice')
  const code = new URL(callback).searchParams.get('code') ?? ''
  assert.ok(code.length > 8)
  assert.ok(!gw.logText().includes(code), 'the authorization code is never logged')
  assert.ok(!gw.logText().includes(gw.provider.clientSecret), 'the client secret is never logged')
  const metrics = await (await fetch(`${gw.url}/gateway/metrics`)).text()
  assert.match(metrics, /influx_gateway_signins_total\{outcome="success"\} 1/)
})

test('the login route sets a short-lived, HttpOnly, Lax flow cookie on the callback path only, and sends PKCE S256, state and nonce', async (t) => {
  const gw = await startSsoGateway(t, { oidc: { flowTimeout: '2m' } })
  const res = await fetch(gw.loginUrl('/'), { redirect: 'manual' })
  assert.equal(res.status, 302)
  const to = new URL(res.headers.get('location') ?? '')
  assert.equal(to.origin, gw.provider.issuer)
  assert.equal(to.searchParams.get('code_challenge_method'), 'S256')
  assert.equal(to.searchParams.get('redirect_uri'), gw.callbackUrl)
  for (const p of ['state', 'nonce', 'code_challenge']) assert.ok((to.searchParams.get(p) ?? '').length >= 32, p)
  const [cookie, ...more] = res.headers.getSetCookie()
  assert.deepEqual(more, [])
  assert.match(cookie ?? '', /^influx-gateway-sso-[\w-]{12}=[\w-]{43}; Path=\/gateway\/oidc\/callback; HttpOnly; SameSite=Lax; Max-Age=120$/)
  assert.equal(res.headers.get('cache-control'), 'no-store')
})

test('a tampered state, a callback in another browser (login CSRF) and a replay are refused with a page, and audited', async (t) => {
  const gw = await startSsoGateway(t)
  const victim = new SsoBrowser()
  const attacker = new SsoBrowser()
  const callback = await attacker.signInAtProvider(gw.loginUrl(), 'alice', gw.callbackUrl)
  const code = new URL(callback).searchParams.get('code') ?? ''

  const tampered = new URL(callback)
  tampered.searchParams.set('state', `${tampered.searchParams.get('state') ?? ''}x`)
  assertPage(await attacker.request(tampered.href), 400, /expired, was already used or was started in another browser/, [code])
  // The attacker's own code and state, in the victim's browser: no flow of the victim's names that state.
  const foreign = await victim.request(callback)
  assertPage(foreign, 400, /sign in again/, [code])
  assert.equal(foreign.headers['referrer-policy'], 'no-referrer', 'the page\'s "Back" link does not carry the code off as Referer')
  assert.equal(victim.cookies.has('influxdb-oss-session'), false)

  const flowCookie = attacker.cookieHeader()
  assert.equal((await attacker.request(callback, { headers: FROM_PROVIDER })).status, 302, 'the flow itself still works once')
  // Replayed with the very cookie it came with: the flow was used up.
  const replay = await fetch(callback, { headers: { cookie: flowCookie }, redirect: 'manual' })
  assertPage({ status: replay.status, body: await replay.text() }, 400, /already used/)
  assert.equal(replay.headers.getSetCookie().some((c) => c.startsWith('influxdb-oss-session=') && !c.startsWith('influxdb-oss-session=;')), false)

  const reasons = refusals(gw).map((l) => l.detail)
  assert.deepEqual(reasons, ['state not bound to this browser', 'state not bound to this browser', 'flow expired or already used'])
  assert.ok(!gw.logText().includes(code))
  const metrics = await (await fetch(`${gw.url}/gateway/metrics`)).text()
  assert.match(metrics, /influx_gateway_signins_total\{outcome="sso_refused"\} 3/)
})

test('two returns at once with one flow: exactly one signs in; a session sent along (fixation) is ended, the new one is another', async (t) => {
  const gw = await startSsoGateway(t)
  const planted = new SsoBrowser()
  await planted.request(await planted.signInAtProvider(gw.loginUrl(), 'alice', gw.callbackUrl), { headers: FROM_PROVIDER })
  const plantedId = planted.cookies.get('influxdb-oss-session') ?? ''
  const browser = new SsoBrowser()
  const callback = await browser.signInAtProvider(gw.loginUrl(), 'alice', gw.callbackUrl)
  browser.cookies.set('influxdb-oss-session', plantedId)
  const hops = await Promise.all([browser.request(callback, { headers: FROM_PROVIDER }), browser.request(callback, { headers: FROM_PROVIDER })])
  assert.deepEqual(hops.map((h) => h.status).sort(), [302, 400])
  const fresh = hops.find((h) => h.status === 302)?.setCookies.find((c) => c.startsWith('influxdb-oss-session=')) ?? ''
  assert.ok(!fresh.includes(plantedId) && fresh.length > 40, 'a new session id')
  assert.equal((await fetch(`${gw.url}/gateway/session`, { headers: { cookie: `influxdb-oss-session=${plantedId}` } })).status, 401, 'the planted session is ended')
})

test('the provider\'s own refusal (the user cancels: access_denied) is a 403 page, audited as denied', async (t) => {
  const gw = await startSsoGateway(t)
  const browser = new SsoBrowser()
  const first = await browser.request(gw.loginUrl())
  const form = await browser.follow(first.location ?? '')
  const abort = /href="([^"]*\/abort)"/.exec(form.body)?.[1]
  assert.ok(abort !== undefined, form.body.slice(0, 500))
  const back = await browser.follow(new URL(abort, form.url).href, (next) => next.startsWith(gw.callbackUrl))
  assert.match(back.location ?? '', /error=access_denied/)
  assertPage(await browser.request(back.location ?? ''), 403, /The identity provider did not sign you in \(access_denied\)/, ['End-User aborted'])
  assert.equal(refusals(gw).at(-1)?.result, 'denied')
  assert.match(await (await fetch(`${gw.url}/gateway/metrics`)).text(), /influx_gateway_signins_total\{outcome="sso_denied"\} 1/)
})

test('a provider error on a callback with a forged state never reaches the page: the state is checked first', async (t) => {
  const gw = await startSsoGateway(t)
  const browser = new SsoBrowser()
  const hop = await browser.request(`${gw.callbackUrl}?error=%3Cscript%3Ealert(1)%3C%2Fscript%3E&state=forged`)
  assertPage(hop, 400, /sign in again/, ['<script>', 'alert(1)'])
})

test('while the bound of pending flows is reached, the login route answers a 503 page and keeps nothing; a finished flow frees a place', async (t) => {
  const gw = await startSsoGateway(t)
  const client = createMemoryRedisClient()
  const sweeper = createExpirySweeper({ client, now: Date.now })
  t.after(async () => { sweeper.close(); await client.quit() })
  gw.deps.replace({ signInFlows: createSignInFlowStore({ client, keyPrefix: 'gw:', now: Date.now, signer: createRecordSigner({ key: randomBytes(32) }), sweeper, maxFlows: 1 }) })
  const browser = new SsoBrowser()
  const callback = await browser.signInAtProvider(gw.loginUrl(), 'alice', gw.callbackUrl)
  const busy = await browser.request(gw.loginUrl())
  assertPage(busy, 503, /Too many sign-ins in progress; retry shortly/)
  assert.deepEqual(busy.setCookies, [], 'no flow cookie for a flow not kept')
  assert.equal(refusals(gw).at(-1)?.result, 'busy')
  assert.equal((await browser.request(callback, { headers: FROM_PROVIDER })).status, 302)
  assert.equal((await browser.request(gw.loginUrl())).status, 302)
})

test('a user in no group that an access rule names gets a 403 page, no session', async (t) => {
  const gw = await startSsoGateway(t)
  const browser = new SsoBrowser()
  const callback = await browser.signInAtProvider(gw.loginUrl(), 'bob', gw.callbackUrl)
  assertPage(await browser.request(callback), 403, /No InfluxDB access is granted to this user/)
  assert.equal(browser.cookies.has('influxdb-oss-session'), false)
  const audit = await gw.waitForLog((l) => l.audit === 'signin' && l.result === 'no access')
  assert.equal(audit.user, 'bob')
  assert.equal(audit.source, 'oidc')
  assert.match(await (await fetch(`${gw.url}/gateway/metrics`)).text(), /influx_gateway_signins_total\{outcome="no_access"\} 1/)
})

test('a hostile returnTo never sends the browser off the gateway, nor to an API route or the gateway\'s own: it lands on /', async (t) => {
  const gw = await startSsoGateway(t)
  const browser = new SsoBrowser()
  for (const hostile of ['//evil.example', 'https://evil.example/', '/\\evil.example', '/\t/evil.example', '/\n/evil.example', '/.//evil.example', '/..//evil.example', 'javascript:alert(1)', '/gateway/oidc/login',
    '/query?q=DROP+DATABASE+telegraf', '/%71uery?q=DROP+DATABASE+telegraf', '/Gateway/OIDC/logout', '/query%ff?q=DROP+DATABASE+telegraf',
    '/%67ateway/oidc/logout']) {
    const callback = await browser.signInAtProvider(gw.loginUrl(hostile), 'alice', gw.callbackUrl)
    const back = await browser.request(callback, { headers: FROM_PROVIDER })
    assert.equal(back.location, `${gw.url}/`, hostile)
  }
  assert.ok(gw.logs.some((l) => l.msg === 'returnTo refused: not a local path; / instead'))
})

test('a link to the sign-in cannot make the browser run an API request after it (CSRF through returnTo): it lands on /', async (t) => {
  const gw = await startSsoGateway(t)
  const browser = new SsoBrowser()
  const drop = '/query?q=DROP+DATABASE+telegraf'
  const callback = await browser.signInAtProvider(gw.loginUrl(drop), 'alice', gw.callbackUrl)
  // Back from the provider, a cross-site navigation: the gateway's page continues from here, same-origin.
  const back = await browser.request(callback, { headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' } })
  assert.equal(back.status, 200, back.body)
  const target = /url=([^"]*)"/.exec(back.body)?.[1] ?? ''
  assert.equal(target, '/')
  await browser.request(new URL(target, gw.url).href, { headers: { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' } })
  assert.ok(!gw.influx.requests.some((r) => r.url.startsWith('/query')), 'nothing ran the query')
})

test('an access rule removed by a reload ends the single sign-on session at its next request', async (t) => {
  const gw = await startSsoGateway(t)
  const browser = new SsoBrowser()
  await browser.request(await browser.signInAtProvider(gw.loginUrl(), 'alice', gw.callbackUrl))
  assert.equal((await browser.request(`${gw.url}/api/v2/me`)).status, 200)
  await gw.deps.applyConfig({ ...gw.deps.config, access: [{ group: 'someone-else', token: 'other-token-0001' }] })
  const me = await browser.request(`${gw.url}/api/v2/me`)
  assert.deepEqual({ status: me.status, body: me.body }, { status: 403, body: '{"code":"forbidden","message":"User is inactive"}' })
})

test('an SSO user named like a file user gets the access rules\' credential, never the file user\'s; disabling the file user leaves it alone', async (t) => {
  const gw = await startSsoGateway(t, { gateway: { users: [{ name: 'alice', password: 'file-alice-password', token: 'file-alice-token-0001' }] } })
  const browser = new SsoBrowser()
  await browser.request(await browser.signInAtProvider(gw.loginUrl(), 'alice', gw.callbackUrl))
  assert.equal((await browser.request(`${gw.url}/api/v2/me`)).status, 200)
  assert.equal(gw.influx.requests.at(-1)?.headers.authorization, `Token ${READERS_TOKEN}`)
  await gw.deps.applyConfig({ ...gw.deps.config, users: gw.deps.config.users.map((u) => ({ ...u, disabled: true })) })
  const me = await browser.request(`${gw.url}/api/v2/me`)
  assert.equal(me.status, 200, `the provider's alice is not the file's alice: ${me.body}`)
  assert.equal(gw.influx.requests.at(-1)?.headers.authorization, `Token ${READERS_TOKEN}`)
})

test('RP-initiated logout ends the gateway session, then sends the browser to the provider\'s end_session_endpoint', async (t) => {
  const gw = await startSsoGateway(t, { oidc: { postLogoutRedirectUrl: 'http://127.0.0.1:1/signed-out' }, provider: { postLogoutRedirectUrl: 'http://127.0.0.1:1/signed-out' } })
  const browser = new SsoBrowser()
  await browser.request(await browser.signInAtProvider(gw.loginUrl(), 'alice', gw.callbackUrl))
  const crossSite = await browser.request(`${gw.url}/gateway/oidc/logout`, { headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' } })
  assertPage(crossSite, 403, /Cross-site request refused/)
  assert.equal((await browser.request(`${gw.url}/api/v2/me`)).status, 200, 'a foreign page cannot sign the user out')

  const out = await browser.request(`${gw.url}/gateway/oidc/logout`, { headers: { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' } })
  assert.equal(out.status, 302)
  const to = new URL(out.location ?? '')
  assert.equal(`${to.origin}${to.pathname}`, `${gw.provider.issuer}/session/end`)
  assert.equal(to.searchParams.get('client_id'), gw.provider.clientId)
  assert.equal(to.searchParams.get('post_logout_redirect_uri'), 'http://127.0.0.1:1/signed-out')
  assert.equal(to.searchParams.get('id_token_hint'), null, 'no ID token is kept for a hint')
  assert.equal(browser.cookies.has('influxdb-oss-session'), false)
  assert.equal((await browser.request(`${gw.url}/api/v2/me`)).status, 401)
  assert.ok(gw.logs.some((l) => l.audit === 'signout' && l.user === 'alice' && l.source === 'oidc'))
  const confirm = await browser.follow(out.location ?? '')
  assert.equal(confirm.status, 200, 'the provider asks to confirm its own sign-out')
})

test('logout at a provider without an end_session_endpoint still ends the gateway session', async (t) => {
  const gw = await startSsoGateway(t, { oidc: { postLogoutRedirectUrl: 'http://127.0.0.1:1/signed-out' }, provider: { logout: false } })
  const browser = new SsoBrowser()
  await browser.request(await browser.signInAtProvider(gw.loginUrl(), 'alice', gw.callbackUrl))
  assert.equal((await browser.request(`${gw.url}/api/v2/me`)).status, 200)
  const out = await browser.request(`${gw.url}/gateway/oidc/logout`, { headers: { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' } })
  assert.equal(out.status, 302, out.body)
  assert.equal(out.location, 'http://127.0.0.1:1/signed-out', 'no provider logout to go to: where the config says')
  assert.equal(browser.cookies.has('influxdb-oss-session'), false)
  assert.equal((await browser.request(`${gw.url}/api/v2/me`)).status, 401, 'signed out of the gateway whatever the provider offers')
  assert.ok(gw.logs.some((l) => l.audit === 'signout' && l.user === 'alice' && l.source === 'oidc'))
})

test('login and callback are reached by navigations from anywhere, never by a cross-site fetch', async (t) => {
  const gw = await startSsoGateway(t)
  const fetchFromElsewhere = { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty', origin: 'https://evil.example' }
  const navigation = { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }
  const browser = new SsoBrowser()
  assertPage(await browser.request(gw.loginUrl(), { headers: fetchFromElsewhere }), 403, /Cross-site request refused/)
  assertPage(await browser.request(`${gw.callbackUrl}?state=x&code=y`, { headers: fetchFromElsewhere }), 403, /Cross-site request refused/)
  const nav = await browser.request(gw.loginUrl(), { headers: navigation })
  assert.equal(nav.status, 302, nav.body)
  assert.equal((await browser.request(`${gw.callbackUrl}?state=x&code=y`, { headers: navigation })).status, 400, 'checked, not refused as cross-site')
})

test('without oidc: the routes are 404 pages; other methods 405', async (t) => {
  const gw = await startSsoGateway(t)
  assert.equal((await fetch(gw.loginUrl(), { method: 'POST' })).status, 405)
  assert.equal((await fetch(`${gw.url}/gateway/oidc/other`)).status, 404)
  const { startGateway } = await import('../helpers/gateway.ts')
  const plain = await startGateway(t)
  const res = await fetch(`${plain.url}/gateway/oidc/login`)
  assert.equal(res.status, 404)
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/)
})

test('oidc: removed by a reload ends the single sign-on sessions and the routes; kept, flows in progress still finish', async (t) => {
  const gw = await startSsoGateway(t)
  const browser = new SsoBrowser()
  await browser.request(await browser.signInAtProvider(gw.loginUrl(), 'alice', gw.callbackUrl))
  const pending = await browser.signInAtProvider(gw.loginUrl('/later'), 'alice', gw.callbackUrl)
  await gw.deps.applyConfig({ ...gw.deps.config, oidc: gw.deps.config.oidc === undefined ? undefined : { ...gw.deps.config.oidc, timeout: 3000 } })
  assert.equal((await browser.request(pending, { headers: FROM_PROVIDER })).location, `${gw.url}/later`, 'a changed section rebuilds the client; the flow is in the store')
  assert.equal((await browser.request(`${gw.url}/api/v2/me`)).status, 200)

  await gw.deps.applyConfig({ ...gw.deps.config, oidc: undefined })
  const me = await browser.request(`${gw.url}/api/v2/me`)
  assert.deepEqual({ status: me.status, body: me.body }, { status: 403, body: '{"code":"forbidden","message":"User is inactive"}' })
  assert.equal((await browser.request(gw.loginUrl())).status, 404)
})
