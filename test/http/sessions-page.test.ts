/**
 * `<gatewayPrefix>/sessions` (src/http/sessions-page.ts): HTML without script or external assets under a
 * strict CSP; forms POST to `/sessions/end` with a per-session CSRF token, under resource isolation.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ALICE, signIn, startGateway, type TestGateway, type TestUser } from '../helpers/gateway.ts'
import { recordSecret } from '../helpers/secret-ledger.ts'

const ROOT: TestUser = { name: 'root', password: 'root password 12345', token: 'root-token-123456' }
const BOB: TestUser = { name: 'bob', password: 'bob password 12345', token: 'bob-token-123456' }

async function start (t: Parameters<typeof startGateway>[0]): Promise<TestGateway> {
  return await startGateway(t, { users: [ALICE, BOB, ROOT], config: { gatewayAdmins: { users: ['root'] } } })
}

async function page (gw: TestGateway, cookie: string, query = ''): Promise<{ res: Response, html: string, token: string, refs: string[] }> {
  const res = await fetch(`${gw.url}/gateway/sessions${query}`, { headers: { cookie, 'sec-fetch-site': 'none' } })
  const html = await res.text()
  const token = /name="token" value="([^"]+)"/.exec(html)?.[1] ?? ''
  recordSecret(token, 'token')
  const refs = [...html.matchAll(/name="ref" value="([^"]+)"/g)].map((m) => m[1] as string)
  return { res, html, token, refs }
}

async function post (gw: TestGateway, cookie: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return await fetch(`${gw.url}/gateway/sessions/end`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', origin: gw.url, 'sec-fetch-site': 'same-origin', ...headers },
    body: new URLSearchParams(fields).toString()
  })
}

const alive = async (gw: TestGateway, cookie: string): Promise<number> => (await fetch(`${gw.url}/gateway/session`, { headers: { cookie } })).status

test('the page lists the user\'s sessions, marks the current one, loads nothing and allows no script', async (t) => {
  const gw = await start(t)
  const cookie = await signIn(gw)
  await signIn(gw)
  await signIn(gw, BOB.name, BOB.password)
  const { res, html, token, refs } = await page(gw, cookie)
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8')
  const csp = res.headers.get('content-security-policy') ?? ''
  assert.match(csp, /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; form-action 'self'; frame-ancestors 'none'/)
  assert.equal(res.headers.get('cache-control'), 'no-store')
  assert.ok(!/<script|src=|href="http/i.test(html), 'no script, no external asset')
  assert.equal(refs.length, 2, 'alice\'s two sessions, not bob\'s')
  assert.equal((html.match(/this browser/g) ?? []).length, 1)
  assert.match(html, /End all other sessions/)
  assert.match(token, /^[A-Za-z0-9_-]{43}$/)
  const id = cookie.split('=')[1] as string
  assert.ok(!html.includes(id), 'the page never shows the session id')
  assert.notEqual(token, id)
  assert.equal((await fetch(`${gw.url}/gateway/sessions`)).status, 401)
  assert.match(await (await fetch(`${gw.url}/gateway/sessions`)).text(), /<h1>/, 'a page a person can read')
})

test('a form ends another session of the user; the form token is bound to the session that was shown it', async (t) => {
  const gw = await start(t)
  const cookie = await signIn(gw)
  const other = await signIn(gw)
  const { token } = await page(gw, cookie)
  const { token: othersToken } = await page(gw, other)
  for (const bad of [undefined, '', 'A'.repeat(43), othersToken]) {
    const fields: Record<string, string> = { action: 'others', ...(bad === undefined ? {} : { token: bad }) }
    const res = await post(gw, cookie, fields)
    assert.equal(res.status, 403, `token ${String(bad).slice(0, 6)}`)
    assert.match(await res.text(), /stale or was not sent from the sessions page/)
  }
  assert.equal(await alive(gw, other), 200, 'nothing ended without the right token')
  const res = await post(gw, cookie, { action: 'others', token })
  assert.equal(res.status, 303)
  assert.equal(res.headers.get('location'), '/gateway/sessions')
  assert.equal(await alive(gw, other), 401, 'the other browser is signed out')
  assert.equal(await alive(gw, cookie), 200)
  const signOut = await post(gw, cookie, { action: 'one', ref: (await page(gw, cookie)).refs[0] ?? '', token })
  assert.equal(signOut.status, 200)
  assert.match(signOut.headers.get('set-cookie') ?? '', /Max-Age=0|Expires=Thu, 01 Jan 1970/)
  assert.equal(await alive(gw, cookie), 401, 'ending one\'s own current session signs this browser out')
})

test('a same-site form post from another origin is refused, token or not, and ends nothing', async (t) => {
  const gw = await start(t)
  const cookie = await signIn(gw)
  const other = await signIn(gw)
  const { token } = await page(gw, cookie)
  const origin = gw.url.replace(/:\d+$/, ':1')
  for (const headers of [{ 'sec-fetch-site': 'same-site', origin }, { 'sec-fetch-site': 'cross-site', origin: 'http://evil.example' }, { 'sec-fetch-site': '', origin }]) {
    const res = await post(gw, cookie, { action: 'others', token }, headers)
    assert.equal(res.status, 403, JSON.stringify(headers))
    assert.match(await res.text(), /cross-site request refused/i)
  }
  assert.equal(await alive(gw, other), 200)
})

test('a user who is no administrator cannot filter for or end another user\'s sessions: 403, audited', async (t) => {
  const gw = await start(t)
  const cookie = await signIn(gw)
  const bob = await signIn(gw, BOB.name, BOB.password)
  const { token } = await page(gw, cookie)
  assert.equal((await page(gw, cookie, '?source=file&user=bob')).res.status, 403)
  assert.equal((await post(gw, cookie, { action: 'user', source: 'file', user: 'bob', token })).status, 403)
  assert.equal((await post(gw, cookie, { action: 'all', token })).status, 403)
  assert.equal(gw.logs.filter((l) => l.audit === 'session' && l.result === 'refused').length, 3)
  assert.equal(await alive(gw, bob), 200)
})

test('an administrator sees everyone, filters by user, and ends all of a user\'s sessions from the page', async (t) => {
  const gw = await start(t)
  const root = await signIn(gw, ROOT.name, ROOT.password)
  const alice = [await signIn(gw), await signIn(gw)]
  const bob = await signIn(gw, BOB.name, BOB.password)
  const all = await page(gw, root)
  assert.equal(all.refs.length, 4)
  const filtered = await page(gw, root, '?user=alice&source=file')
  assert.equal(filtered.refs.length, 2)
  assert.match(filtered.html, /End all of alice&#39;s sessions/)
  const res = await post(gw, root, { action: 'user', source: 'file', user: 'alice', token: filtered.token })
  assert.equal(res.status, 303)
  for (const cookie of alice) assert.equal(await alive(gw, cookie), 401)
  assert.equal(await alive(gw, bob), 200)
  const line = gw.logs.find((l) => l.result === 'ended')
  assert.deepEqual([line?.by, line?.scope, line?.actor, line?.user], ['admin', 'user', 'root', 'alice'])
})

test('what a client chose (its User-Agent) is shown as text, never as markup', async (t) => {
  const gw = await start(t)
  const hostile = '<img src=x onerror=alert(1)><form action="https://evil.example">'
  const res = await fetch(`${gw.url}/api/v2/signin`, {
    method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${ALICE.name}:${ALICE.password}`).toString('base64')}`, 'user-agent': hostile }
  })
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] as string
  const { html } = await page(gw, cookie)
  assert.ok(!html.includes('<img') && !html.includes('evil.example"'), 'no markup from the User-Agent')
  assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;&lt;form action=&quot;https:\/\/evil.example&quot;&gt;/)
})
