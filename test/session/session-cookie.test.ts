import assert from 'node:assert/strict'
import { test } from 'node:test'
import { clearedSessionCookie, readCookies, sessionCookie, withoutCookie } from '../../src/session/session-cookie.ts'

const opts = { name: 'influxdb-oss-session', path: '/', sameSite: 'Strict', secure: 'auto' } as const

test('the session cookie carries InfluxDB\'s attributes, Path=/ and Secure only on HTTPS', () => {
  const expires = Date.UTC(2026, 10, 28, 18, 0, 0)
  assert.equal(sessionCookie(opts, 'ID', expires, false),
    'influxdb-oss-session=ID; Path=/; HttpOnly; SameSite=Strict; Expires=Sat, 28 Nov 2026 18:00:00 GMT')
  assert.match(sessionCookie(opts, 'ID', expires, true), /; Secure;/)
  assert.match(sessionCookie({ ...opts, secure: 'always' }, 'ID', expires, false), /; Secure;/)
  assert.doesNotMatch(sessionCookie({ ...opts, secure: 'never', sameSite: 'Lax' }, 'ID', expires, true), /Secure/)
  assert.match(sessionCookie({ ...opts, sameSite: 'Lax', path: '/app' }, 'ID', expires, true), /Path=\/app; HttpOnly; SameSite=Lax; Secure/)
  assert.equal(clearedSessionCookie(opts, false),
    'influxdb-oss-session=; Path=/; HttpOnly; SameSite=Strict; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0')
})

test('readCookies and withoutCookie find our cookies among others', () => {
  const header = 'a=1; influxdb-oss-session=S1; xinfluxdb-oss-session=no; influxdb-oss-session=S2;b=2'
  assert.deepEqual(readCookies(header, opts.name), ['S1', 'S2'])
  assert.deepEqual(readCookies('a=1', opts.name), [])
  assert.deepEqual(readCookies(undefined, opts.name), [])
  assert.equal(withoutCookie(header, opts.name), 'a=1; xinfluxdb-oss-session=no; b=2')
  assert.equal(withoutCookie('influxdb-oss-session=S', opts.name), undefined)
  assert.equal(withoutCookie('a=1', opts.name), 'a=1')
})
