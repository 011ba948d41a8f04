import assert from 'node:assert/strict'
import { FROM_PROVIDER, SsoBrowser } from './sso-browser.ts'

/** Where a browser signs in through a gateway: its login route and its registered callback. */
export interface SignInTarget { loginUrl: (returnTo?: string) => string, callbackUrl: string }

/** A new browser signed in at the provider as `login`, holding a gateway session. */
export async function signedInBrowser (gw: SignInTarget, login = 'alice'): Promise<SsoBrowser> {
  const browser = new SsoBrowser()
  const callback = await browser.signInAtProvider(gw.loginUrl('/'), login, gw.callbackUrl)
  const back = await browser.request(callback, { headers: FROM_PROVIDER })
  assert.equal(back.status, 302, back.body)
  return browser
}

/**
 * The provider's own logout (oidc-provider 8), as a person does it at the provider: its end-session page,
 * then "Yes, sign me out". The provider answers once it has sent its back-channel logout tokens.
 */
export async function logoutAtProvider (provider: { issuer: string, clientId: string }, browser: SsoBrowser): Promise<void> {
  const page = await browser.follow(`${provider.issuer}/session/end?client_id=${provider.clientId}`)
  const action = /<form[^>]*action="([^"]+)"/.exec(page.body)?.[1]
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.body)?.[1]
  assert.ok(action !== undefined && xsrf !== undefined, `the provider's logout page: ${page.status} ${page.body.slice(0, 300)}`)
  const done = await browser.request(new URL(action, page.url).href, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ xsrf, logout: 'yes' }).toString()
  })
  assert.ok([200, 302, 303].includes(done.status), `logout confirmed: ${done.status} ${done.body.slice(0, 300)}`)
}
