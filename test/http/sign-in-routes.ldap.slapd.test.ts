/**
 * Directory sign-in through the whole gateway against a real OpenLDAP: the answers a client sees, the
 * credential InfluxDB gets, the audit lines, and what an unreachable directory does (and does not) break.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { requireBinary } from '../helpers/binaries.ts'
import { FILE_USER, OPS, RULE_TOKENS, startDirectoryGateway } from '../helpers/directory-gateway.ts'
import { basic, signIn, type TestGateway } from '../helpers/gateway.ts'
import { startSlapd, type Slapd } from '../helpers/slapd.ts'

const binary = requireBinary('slapd', 'slapd', 'real OpenLDAP (directory sign-in)')
const skip = binary === undefined ? 'slapd not installed' : false
const UNAUTHORIZED = '{"code":"unauthorized","message":"unauthorized access"}'

let slapd: Slapd
before(async () => { if (binary !== undefined) slapd = await startSlapd(binary) })
after(async () => { await slapd?.stop() })

const password = (uid: string): string => slapd.people[uid]?.password ?? ''
const post = (gw: TestGateway, name: string, pw: string): Promise<Response> =>
  fetch(`${gw.url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic(name, pw) } })

/** The Authorization InfluxDB got for a request made with `cookie` (the double answers 401 to tokens it does not know). */
async function upstreamAuthorization (gw: TestGateway, cookie: string): Promise<string | undefined> {
  const before = gw.influx.requests.length
  await (await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })).arrayBuffer()
  assert.equal(gw.influx.requests.length, before + 1, 'forwarded')
  return gw.influx.last()?.headers.authorization
}

test('directory users sign in and InfluxDB gets the credential of the first rule matching their groups', { skip }, async (t) => {
  const gw = await startDirectoryGateway(t, slapd)
  assert.equal(await upstreamAuthorization(gw, await signIn(gw, 'alice', password('alice'))), `Token ${RULE_TOKENS['influx-writers']}`)
  assert.equal(await upstreamAuthorization(gw, await signIn(gw, 'bob', password('bob'))), `Token ${RULE_TOKENS['influx-readers']}`, 'nested OU')
  assert.equal(await upstreamAuthorization(gw, await signIn(gw, 'dave', password('dave'))), `Token ${RULE_TOKENS['influx-writers']}`, 'first match wins')
  assert.equal(await upstreamAuthorization(gw, await signIn(gw, OPS.name, OPS.password)), `Token ${RULE_TOKENS['influx-writers']}`, 'a file user through groups:')
  assert.equal(await upstreamAuthorization(gw, await signIn(gw, FILE_USER.name, FILE_USER.password)), `Token ${FILE_USER.token ?? ''}`, 'own token')
  const audit = gw.logs.filter((l) => l.audit === 'signin').map((l) => [l.user, l.source, l.result])
  assert.deepEqual(audit, [['alice', 'ldap', 'success'], ['bob', 'ldap', 'success'], ['dave', 'ldap', 'success'], ['ops', 'file', 'success'], ['filer', 'file', 'success']])
})

test('a wrong password, an unknown name and an empty password get the one uniform 401', { skip }, async (t) => {
  const gw = await startDirectoryGateway(t, slapd, { config: { signin: { maxFailures: 0 } } })
  for (const [name, pw] of [['alice', 'wrong-password'], ['nobody', password('alice')], ['alice', ''], [OPS.name, 'wrong-password'], ['ali*', password('alice')]]) {
    const res = await post(gw, name as string, pw as string)
    assert.equal(res.status, 401, `${name}`)
    assert.equal(await res.text(), UNAUTHORIZED)
    assert.equal(res.headers.get('set-cookie'), null)
  }
  const failures = gw.logs.filter((l) => l.audit === 'signin').map((l) => [l.user, l.source, l.reason])
  assert.deepEqual(failures, [
    ['alice', 'ldap', 'wrong password'], [undefined, 'ldap', 'unknown user'], [undefined, 'ldap', 'unknown user'],
    ['ops', 'file', 'wrong password'], [undefined, 'ldap', 'unknown user']
  ], 'a name the directory does not know is never logged')
})

test('a directory user no rule grants anything gets 403 no access, and no session', { skip }, async (t) => {
  const gw = await startDirectoryGateway(t, slapd)
  const res = await post(gw, 'carol', password('carol'))
  assert.equal(res.status, 403)
  assert.deepEqual(await res.json(), { code: 'forbidden', message: 'no InfluxDB access is granted to this user' })
  assert.equal(res.headers.get('set-cookie'), null)
  assert.ok(gw.logs.some((l) => l.audit === 'signin' && l.result === 'no access' && l.user === 'carol' && l.source === 'ldap'))
  const metrics = await (await fetch(`${gw.url}/gateway/metrics`)).text()
  assert.match(metrics, /influx_gateway_signins_total\{outcome="no_access"\} 1/)
})

test('a directory that is down or hangs: 503 with Retry-After for its users, file users still sign in', { skip }, async (t) => {
  const gw = await startDirectoryGateway(t, slapd, { ldap: { timeout: '300ms' } })
  slapd.pause()
  t.after(() => slapd.resume())
  const hung = await post(gw, 'alice', password('alice'))
  assert.equal(hung.status, 503)
  assert.equal(hung.headers.get('retry-after'), '5')
  assert.deepEqual(await hung.json(), { code: 'unavailable', message: 'the user directory is unavailable; retry shortly' })
  assert.equal((await post(gw, OPS.name, OPS.password)).status, 204, 'a file user while the directory hangs')
  slapd.resume()
  const stopped = await startSlapd(binary as string)
  await stopped.stop()
  const down = await startDirectoryGateway(t, stopped)
  assert.equal((await post(down, 'alice', password('alice'))).status, 503)
  assert.equal((await post(down, FILE_USER.name, FILE_USER.password)).status, 204)
  assert.ok(gw.logs.some((l) => l.audit === 'signin' && l.result === 'unavailable' && l.source === 'ldap'))
  assert.match(await (await fetch(`${gw.url}/gateway/metrics`)).text(), /influx_gateway_signins_total\{outcome="directory_unavailable"\} 1/)
  for (const [g, directory] of [[gw, slapd], [down, stopped]] as const) {
    assert.ok(!g.logText().includes(directory.service.password), 'the bind password is never logged')
  }
})

test('spellings the directory treats as one name share one ban and sign in as the directory\'s own name', { skip }, async (t) => {
  let n = 0
  // Every attempt from a new address: only the per-name count can stop them.
  const from = (): Record<string, string> => ({ 'x-forwarded-for': `198.51.100.${++n}` })
  const gw = await startDirectoryGateway(t, slapd, { config: { signin: { maxFailures: 3 }, server: { trustProxy: ['127.0.0.1/32'] } } })
  const attempt = (name: string, pw: string): Promise<Response> =>
    fetch(`${gw.url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic(name, pw), ...from() } })
  for (const name of ['alice', 'Alice', ' alice']) assert.equal((await attempt(name, 'wrong-password')).status, 401, name)
  for (const name of ['ALICE', 'alice ', '  aLiCe ', 'alice']) assert.equal((await attempt(name, password('alice'))).status, 429, `${name}: banned`)

  const fresh = await startDirectoryGateway(t, slapd)
  const res = await fetch(`${fresh.url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic('  ALICE ', password('alice')) } })
  assert.equal(res.status, 204)
  const audit = fresh.logs.find((l) => l.audit === 'signin' && l.result === 'success')
  assert.equal(audit?.user, 'alice', 'the session is the directory\'s alice, not the typed spelling')
})
