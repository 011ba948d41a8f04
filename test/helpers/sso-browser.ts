import assert from 'node:assert/strict'
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import { recordSecret, recordSetCookies } from './secret-ledger.ts'

/** What a browser sends when the user opens a page from the address bar. */
const PAGE_LOAD = { 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }

/**
 * What a browser sends on the provider's redirect back to the gateway in these tests: the provider is
 * on another port of 127.0.0.1, the same site.
 */
export const FROM_PROVIDER = { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }

/** One HTTP answer as the test browser saw it. */
export interface Hop { url: string, status: number, location?: string, body: string, setCookies: string[], headers: IncomingHttpHeaders }

/**
 * A minimal browser for the single sign-on flow over plain `fetch`: a cookie jar (cookies by name, as a
 * browser on 127.0.0.1 keeps them across ports; paths ignored), redirects followed by hand so each hop
 * can be looked at or tampered with, and the provider's development login form filled in.
 */
export class SsoBrowser {
  readonly cookies = new Map<string, string>()

  /**
   * `localAddress`: the loopback address its connections come from (a second client next to 127.0.0.1);
   * `headers`: sent with every request (`X-Forwarded-*`, as a trusted proxy in front of the gateway adds them).
   */
  constructor (private readonly opts: { localAddress?: string, headers?: Record<string, string> } = {}) {}

  /** `Cookie` header value of the jar. */
  cookieHeader (): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  /**
   * One request (no redirect followed), over node:http so that headers such as `Sec-Fetch-*` go as given
   * (undici's fetch sets its own); the jar takes the answer's cookies.
   */
  async request (url: string, init: { method?: string, headers?: Record<string, string>, body?: string } = {}): Promise<Hop> {
    const headers: Record<string, string> = { ...this.opts.headers, ...init.headers }
    if (this.cookies.size > 0) headers.cookie = this.cookieHeader()
    if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body))
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest(url, { method: init.method ?? 'GET', headers, localAddress: this.opts.localAddress }, resolve)
      req.on('error', reject)
      req.end(init.body)
    })
    const chunks: Buffer[] = []
    for await (const chunk of res) chunks.push(chunk as Buffer)
    const setCookies = res.headers['set-cookie'] ?? []
    for (const c of setCookies) {
      recordSetCookies(c)
      const pair = c.split(';')[0] ?? ''
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq)
      const value = pair.slice(eq + 1)
      if (value === '' || /max-age=0/i.test(c)) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    const location = res.headers.location
    return {
      url,
      status: res.statusCode ?? 0,
      location: location === undefined ? undefined : new URL(location, url).href,
      body: Buffer.concat(chunks).toString('utf8'),
      setCookies,
      headers: res.headers
    }
  }

  /** Follows redirects from `url` until `stop(url)` says so or an answer is not a redirect; resolves to the last hop. */
  async follow (url: string, stop: (next: string) => boolean = () => false): Promise<Hop> {
    let hop = await this.request(url)
    for (let i = 0; i < 20 && hop.location !== undefined && hop.status >= 300 && hop.status < 400; i++) {
      if (stop(hop.location)) return hop
      hop = await this.request(hop.location)
    }
    return hop
  }

  /**
   * From the gateway's login route to the provider's return: follows the redirects, signs in as `login`
   * at the provider's form, and resolves to the callback URL the provider sent the browser to (not yet
   * visited, so a test can tamper with it). `tamper` may rewrite the authorization request first.
   */
  async signInAtProvider (loginUrl: string, login: string, callbackPrefix: string, tamper?: (authUrl: URL) => URL): Promise<string> {
    const gateway = new URL(loginUrl).origin
    let first = await this.request(loginUrl, { headers: PAGE_LOAD })
    // A UI page (with `uiSignin`) leads to the login route first.
    if (first.location !== undefined && new URL(first.location).origin === gateway) first = await this.request(first.location, { headers: PAGE_LOAD })
    assert.equal(first.status, 302, `login route: ${first.body}`)
    assert.ok(first.location !== undefined)
    const authUrl = tamper === undefined ? first.location : tamper(new URL(first.location)).href
    return await this.signInAt(authUrl, login, callbackPrefix)
  }

  /**
   * From an authorization URL at the provider (one a relying party built) to the provider's return: signs
   * in as `login` and resolves to the callback URL, not yet visited.
   */
  async signInAt (authUrl: string, login: string, callbackPrefix: string): Promise<string> {
    const form = await this.follow(authUrl, (next) => next.startsWith(callbackPrefix))
    if (form.location?.startsWith(callbackPrefix) === true) return this.sawCallback(form.location)
    const action = /action="([^"]+)"/.exec(form.body)?.[1]
    assert.ok(action !== undefined, `the provider's login form: ${form.status} ${form.body.slice(0, 300)}`)
    const submitted = await this.request(new URL(action, form.url).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ prompt: 'login', login, password: 'any-password' }).toString()
    })
    assert.ok(submitted.location !== undefined, `login submitted: ${submitted.status} ${submitted.body.slice(0, 300)}`)
    const back = await this.follow(submitted.location, (next) => next.startsWith(callbackPrefix))
    assert.ok(back.location?.startsWith(callbackPrefix), `back at the gateway: ${back.status} ${back.location ?? back.body.slice(0, 300)}`)
    return this.sawCallback(back.location as string)
  }

  private sawCallback (url: string): string {
    recordSecret(new URL(url).searchParams.get('code') ?? undefined, 'oauth-code')
    return url
  }
}
