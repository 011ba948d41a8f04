import assert from 'node:assert/strict'
import { recordSecret, recordSetCookies } from './secret-ledger.ts'

/** One HTTP answer as the test browser saw it. */
export interface Hop { url: string, status: number, location?: string, body: string }

/**
 * A minimal browser for the single sign-on flow over plain `fetch`: a cookie jar (cookies by name, as a
 * browser on 127.0.0.1 keeps them across ports; paths ignored), redirects followed by hand so each hop
 * can be looked at or tampered with, and the provider's development login form filled in.
 */
export class SsoBrowser {
  readonly cookies = new Map<string, string>()

  /** `Cookie` header value of the jar. */
  cookieHeader (): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  /** One request (no redirect followed); the jar takes the answer's cookies. */
  async request (url: string, init: RequestInit = {}): Promise<Hop> {
    const headers = new Headers(init.headers)
    if (this.cookies.size > 0) headers.set('cookie', this.cookieHeader())
    const res = await fetch(url, { ...init, headers, redirect: 'manual' })
    for (const c of res.headers.getSetCookie()) {
      recordSetCookies(c)
      const pair = c.split(';')[0] ?? ''
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq)
      const value = pair.slice(eq + 1)
      if (value === '' || /max-age=0/i.test(c)) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    const location = res.headers.get('location') ?? undefined
    return { url, status: res.status, location: location === undefined ? undefined : new URL(location, url).href, body: await res.text() }
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
    const first = await this.request(loginUrl)
    assert.equal(first.status, 302, `login route: ${first.body}`)
    assert.ok(first.location !== undefined)
    const authUrl = tamper === undefined ? first.location : tamper(new URL(first.location)).href
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
