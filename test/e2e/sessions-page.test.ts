/**
 * The sessions page in Debian's Chromium (src/http/sessions-page.ts): listing and ending work with
 * JavaScript off; a user's other browser is signed out; an administrator ends a user's sessions; a
 * same-site page on another origin cannot post the end form. Screenshots at a desktop and a phone width
 * are written to docs/images/ (the README shows one).
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { BrowserContext, Page } from 'playwright-core'
import { CHROMIUM, launchBrowser, startSite } from '../helpers/browser.ts'
import { ALICE, signIn, startGateway, type TestGateway, type TestUser } from '../helpers/gateway.ts'
import { recordSetCookies } from '../helpers/secret-ledger.ts'

const skip = CHROMIUM === undefined ? 'chromium not installed' : false
const ROOT: TestUser = { name: 'root', password: 'root password 12345', token: 'root-token-123456' }
const BOB: TestUser = { name: 'bob', password: 'bob password 12345', token: 'bob-token-123456' }
const basic = (u: TestUser): string => `Basic ${Buffer.from(`${u.name}:${u.password}`).toString('base64')}`

async function start (t: Parameters<typeof startGateway>[0]): Promise<TestGateway> {
  return await startGateway(t, { users: [ALICE, BOB, ROOT], config: { gatewayAdmins: { users: ['root'] } } })
}

/** Signs a browser in through its own request context (its cookie jar and User-Agent): works with JavaScript off. */
async function signInBrowser (context: BrowserContext, gw: TestGateway, user: TestUser): Promise<void> {
  const res = await context.request.post(`${gw.url}/api/v2/signin`, { headers: { authorization: basic(user) } })
  assert.equal(res.status(), 204)
  recordSetCookies(res.headers()['set-cookie'] ?? '')
}

/** What a browser gets for `/gateway/session`: 200 while signed in, 401 after. */
async function sessionStatus (context: BrowserContext, gw: TestGateway): Promise<number> {
  return (await context.request.get(`${gw.url}/gateway/session`)).status()
}

/**
 * Where a screenshot goes: docs/images/ with `UPDATE_SCREENSHOTS=1` (then look at them, and commit), else a
 * temporary directory (a test run leaves the tree as it was).
 */
function screenshotPath (t: Parameters<typeof startGateway>[0], name: string): string {
  if (process.env.UPDATE_SCREENSHOTS === '1') return `docs/images/sessions-${name}.png`
  const dir = mkdtempSync(join(tmpdir(), 'gw-shots-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, `${name}.png`)
}

const cards = async (page: Page): Promise<number> => await page.locator('li').count()

test('a user with two browsers sees both sessions and ends the other one, JavaScript off; the other is then refused', { skip }, async (t) => {
  const gw = await start(t)
  const here = await launchBrowser(t, CHROMIUM as string, { javaScriptEnabled: false })
  const there = await launchBrowser(t, CHROMIUM as string)
  await signInBrowser(here, gw, ALICE)
  await signInBrowser(there, gw, ALICE)
  const page = await here.newPage()
  await page.goto(`${gw.url}/gateway/sessions`)
  assert.equal(await cards(page), 2)
  assert.equal(await page.locator('li.current').count(), 1)
  assert.match(await page.locator('li').first().innerText(), /HeadlessChrome|Chrome/)
  await page.locator('li:not(.current) button').click()
  await page.waitForURL(`${gw.url}/gateway/sessions`)
  assert.equal(await cards(page), 1, 'the page, reloaded after the POST, shows this browser alone')
  assert.equal(await sessionStatus(there, gw), 401, 'the other browser\'s next request is refused')
  assert.equal(await sessionStatus(here, gw), 200)
})

test('an administrator filters by user and ends all of that user\'s sessions from the page; screenshots', { skip }, async (t) => {
  const gw = await start(t)
  const admin = await launchBrowser(t, CHROMIUM as string, { javaScriptEnabled: false, viewport: { width: 1280, height: 760 } })
  const alice = await launchBrowser(t, CHROMIUM as string)
  const bob = await launchBrowser(t, CHROMIUM as string)
  await signInBrowser(admin, gw, ROOT)
  await signInBrowser(alice, gw, ALICE)
  const script = await signIn(gw) // a script's session beside the browser's (a second sign-in in one browser would end the first)
  await signInBrowser(bob, gw, BOB)
  const page = await admin.newPage()
  await page.goto(`${gw.url}/gateway/sessions`)
  assert.equal(await cards(page), 4)
  for (const [name, width, height] of [['desktop', 1280, 760], ['phone', 390, 844]] as const) {
    await page.setViewportSize({ width, height })
    const png = await page.screenshot({ path: screenshotPath(t, name), fullPage: true })
    assert.deepEqual([...png.subarray(1, 4)], [...Buffer.from('PNG')], `${name}: a screenshot was taken`)
  }
  await page.fill('input[name=user]', 'alice')
  await page.selectOption('select[name=source]', 'file')
  await page.locator('button', { hasText: 'Filter' }).click()
  await page.waitForURL(/user=alice/)
  assert.equal(await cards(page), 2)
  await page.locator('button', { hasText: 'End all of alice' }).click()
  await page.waitForURL(`${gw.url}/gateway/sessions`)
  assert.equal(await sessionStatus(alice, gw), 401)
  assert.equal((await fetch(`${gw.url}/gateway/session`, { headers: { cookie: script } })).status, 401)
  assert.equal(await sessionStatus(bob, gw), 200)
  assert.equal(await cards(page), 2, 'root\'s and bob\'s are left')
})

test('a same-site page on another origin cannot post the end form, even holding the form token', { skip }, async (t) => {
  const gw = await start(t)
  const victim = await launchBrowser(t, CHROMIUM as string)
  const other = await launchBrowser(t, CHROMIUM as string)
  await signInBrowser(victim, gw, ALICE)
  await signInBrowser(other, gw, ALICE)
  const own = await victim.newPage()
  await own.goto(`${gw.url}/gateway/sessions`)
  const token = await own.locator('input[name=token]').first().getAttribute('value') ?? ''
  const site = await startSite(t, {
    '/': `<!doctype html><form method="post" action="${gw.url}/gateway/sessions/end">` +
      `<input type="hidden" name="action" value="others"><input type="hidden" name="token" value="${token}">` +
      '<button type="submit">win a prize</button></form>'
  })
  const hostile = await victim.newPage()
  await hostile.goto(`${site.origin}/`)
  const [answer] = await Promise.all([hostile.waitForResponse(`${gw.url}/gateway/sessions/end`), hostile.locator('button').click()])
  assert.equal(answer.status(), 403)
  assert.match(await answer.text(), /cross-site request refused/i)
  assert.equal(await sessionStatus(other, gw), 200, 'nothing ended')
})
