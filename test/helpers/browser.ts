import { mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { chromium, type BrowserContext } from 'playwright-core'
import { requireBinary } from './binaries.ts'

/** Debian's Chromium, or undefined (with a loud warning; a failure when CI=true) when it is missing. */
export const CHROMIUM = requireBinary('/usr/bin/chromium', 'chromium', 'real browser (Chromium)')

/** Flags that keep Chromium headless, quiet and unable to resolve anything but loopback. */
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1'
]

/** What a browser is launched with besides its defaults: JavaScript off, a window size. */
export interface BrowserOptions { javaScriptEnabled?: boolean, viewport?: { width: number, height: number } }

/** A fresh Chromium profile, closed (and its directory removed) in `t.after`. */
export async function launchBrowser (t: TestContext, executablePath: string, opts: BrowserOptions = {}): Promise<BrowserContext> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-chromium-'))
  const context = await chromium.launchPersistentContext(dir, { executablePath, headless: true, args: FLAGS, ...opts })
  // tsx (esbuild keepNames) wraps functions in `__name(…)`; functions sent to page.evaluate need it there too.
  await context.addInitScript('globalThis.__name = (fn) => fn')
  t.after(async () => {
    await context.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return context
}

/** A static site on its own 127.0.0.1 port (another origin): path → HTML. */
export async function startSite (t: TestContext, pages: Record<string, string>): Promise<{ origin: string }> {
  const server = http.createServer((req, res) => {
    const page = pages[(req.url ?? '/').split('?')[0] ?? '/']
    res.writeHead(page === undefined ? 404 : 200, { 'content-type': 'text/html; charset=utf-8' }).end(page ?? 'not found')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}
