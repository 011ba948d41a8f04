import assert from 'node:assert/strict'
import { test } from 'node:test'
import { localReturnTo } from '../../src/http/return-to.ts'

const AVOID = '/gateway'

test('local paths are kept, normalised (percent-encoded, no fragment)', () => {
  const cases: Array<[string, string]> = [
    ['/', '/'],
    ['/orgs/123/data-explorer', '/orgs/123/data-explorer'],
    ['/orgs/1?bucket=a&x=%2F%2Fevil', '/orgs/1?bucket=a&x=%2F%2Fevil'],
    ['/a/../b', '/b'],
    ['/dashboards/é', '/dashboards/%C3%A9'],
    ['/orgs/1#section', '/orgs/1'],
    ['/%2F%2Fevil.example', '/%2F%2Fevil.example'] // an encoded slash is a path segment here, never a host
  ]
  for (const [given, kept] of cases) assert.equal(localReturnTo(given, AVOID), kept, given)
})

test('anything that could leave the gateway (open redirect) or loop into the sign-in routes is refused', () => {
  const hostile = [
    undefined, '', 'https://evil.example/', 'http:/evil.example', '//evil.example', '///evil.example', '/\\evil.example',
    '\\\\evil.example', '/\t/evil.example', '/\n/evil.example', '/\r\n/evil.example', ' /x', '/x y', '/\u0000x', '/\u007f',
    'javascript:alert(1)', 'data:text/html,x', 'evil.example', './/evil.example', '/.//evil.example', '/..//evil.example',
    '/a/..//evil.example', '/x\\y', '/\u00a0/evil.example', '/gateway/oidc/login', '/gateway/oidc/callback?state=x', '/' + 'a'.repeat(2048)
  ]
  for (const value of hostile) assert.equal(localReturnTo(value, AVOID), undefined, JSON.stringify(value))
})

test('only a UI page is returned to: an API route or the gateway\'s own, in any spelling, is not (CSRF through the sign-in)', () => {
  const api = [
    '/query?q=DROP+DATABASE+telegraf', '/QUERY?q=DROP+DATABASE+telegraf', '/%71uery?q=DROP+DATABASE+telegraf', '/write?db=x',
    '/api/v2/buckets', '/Api/v2/me', '/%61pi/v2/buckets', '/debug/vars', '/metrics', '/legacy/authorizations',
    '/gateway/oidc/logout', '/Gateway/OIDC/logout', '/gateway/%6fidc/logout', '/gateway/session', '/gateway'
  ]
  for (const value of api) assert.equal(localReturnTo(value, AVOID), undefined, value)
  // The gateway's prefix escaped: refused only when compared by the canonical path, not the raw one.
  for (const value of ['/%67ateway/oidc/logout', '/%47ateway/session', '/%67ATEWAY', '/gatew%61y/oidc/login?returnTo=/']) {
    assert.equal(localReturnTo(value, AVOID), undefined, value)
  }
  for (const page of ['/orgs/1/data-explorer', '/signin', '/queryx', '/gatewayx/y']) assert.equal(localReturnTo(page, AVOID), page)
})

test('a path whose escapes are not UTF-8 is no page to return to: the gateway refuses it, and it has no canonical form', () => {
  for (const value of ['/query%ff?q=DROP+DATABASE+telegraf', '/%71uery%c0?q=x', '/debu%67/vars%ff', '/orgs/1%ed%a0%80', '/orgs/%zz', '/%67ateway%ff/session']) {
    assert.equal(localReturnTo(value, AVOID), undefined, value)
  }
  assert.equal(localReturnTo('/orgs/%C3%A9t%C3%A9', AVOID), '/orgs/%C3%A9t%C3%A9', 'escaped UTF-8 is kept')
})
