/**
 * Directory sessions against a real OpenLDAP: groups re-read every ldap.refreshInterval while the session
 * is used, a user removed from the directory or from their group mid-session, a directory down mid-session,
 * and reloads that change the rules. The gateway's clock is faked; slapd's is not needed.
 */
import assert from 'node:assert/strict'
import { after, before, mock, test, type TestContext } from 'node:test'
import { Attribute, Change } from 'ldapts'
import { createReloader } from '../../src/reload.ts'
import type { Config } from '../../src/config/schema.ts'
import { requireBinary } from '../helpers/binaries.ts'
import { RULE_TOKENS, startDirectoryGateway } from '../helpers/directory-gateway.ts'
import { signIn, type TestGateway } from '../helpers/gateway.ts'
import { startSlapd, type Slapd } from '../helpers/slapd.ts'

const binary = requireBinary('slapd', 'slapd', 'real OpenLDAP (directory sessions)')
const skip = binary === undefined ? 'slapd not installed' : false
const MINUTE = 60_000
const INACTIVE = { code: 'forbidden', message: 'User is inactive' }

let slapd: Slapd
before(async () => { if (binary !== undefined) slapd = await startSlapd(binary) })
after(async () => { await slapd?.stop() })

/** A gateway on a fake clock, sessions idle for up to an hour, groups re-read every 5 minutes. */
async function gateway (t: TestContext): Promise<TestGateway> {
  mock.timers.enable({ apis: ['Date'], now: Date.now() })
  t.after(() => mock.timers.reset())
  return await startDirectoryGateway(t, slapd, { config: { session: { idleTimeout: '1h', absoluteTimeout: '8h' } }, ldap: { timeout: '300ms' } })
}

/** GET /api/v2/buckets with the cookie: 200 and the Authorization InfluxDB got when forwarded, else the gateway's status and body. */
async function use (gw: TestGateway, cookie: string): Promise<{ status: number, body?: unknown, upstream?: string }> {
  const before = gw.influx.requests.length
  const res = await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })
  const text = await res.text()
  // Forwarded: what InfluxDB got (the double answers 401 to tokens it does not know); else the gateway's answer.
  if (gw.influx.requests.length > before) return { status: 200, upstream: gw.influx.last()?.headers.authorization }
  return { status: res.status, body: JSON.parse(text) }
}

const membership = (operation: 'add' | 'delete', uid: string): Change =>
  new Change({ operation, modification: new Attribute({ type: 'member', values: [slapd.people[uid]?.dn ?? ''] }) })
const groupDN = (cn: string): string => `cn=${cn},ou=groups,${slapd.suffix}`
const WRITER = { status: 200, upstream: `Token ${RULE_TOKENS['influx-writers']}` }

test('removed from the group that granted access: served until the next check, then 403 and the session ends', { skip }, async (t) => {
  const gw = await gateway(t)
  const cookie = await signIn(gw, 'alice', slapd.people.alice?.password)
  await slapd.admin((c) => c.modify(groupDN('influx-writers'), membership('delete', 'alice')))
  t.after(() => slapd.admin((c) => c.modify(groupDN('influx-writers'), membership('add', 'alice'))))
  mock.timers.tick(5 * MINUTE - 1000)
  assert.deepEqual(await use(gw, cookie), WRITER, 'within the interval: the groups read at sign-in')
  mock.timers.tick(1000)
  const refused = await use(gw, cookie)
  assert.deepEqual(refused, { status: 403, body: INACTIVE })
  assert.deepEqual(await use(gw, cookie), { status: 401, body: { code: 'unauthorized', message: 'unauthorized access' } }, 'the session was ended')
  // The audit line may reach the log after the answer: waited for, not looked up.
  await gw.waitForLog((l) => l.audit === 'session' && l.user === 'alice' && l.source === 'ldap' && l.reason === 'no access rule grants this user')
})

test('a user deleted from the directory loses the session at the next check', { skip }, async (t) => {
  const gw = await gateway(t)
  const erin = slapd.people.erin
  assert.ok(erin)
  const cookie = await signIn(gw, 'erin', erin.password)
  await slapd.admin((c) => c.del(erin.dn))
  mock.timers.tick(5 * MINUTE)
  assert.deepEqual(await use(gw, cookie), { status: 403, body: INACTIVE })
  await gw.waitForLog((l) => l.audit === 'session' && l.user === 'erin' && l.source === 'ldap' && l.reason === 'user no longer in the directory')
})

test('a changed membership changes the credential at the next check; checks happen at most once per interval', { skip }, async (t) => {
  const gw = await gateway(t)
  const cookie = await signIn(gw, 'dave', slapd.people.dave?.password)
  assert.deepEqual(await use(gw, cookie), WRITER)
  await slapd.admin((c) => c.modify(groupDN('influx-writers'), membership('delete', 'dave')))
  t.after(() => slapd.admin((c) => c.modify(groupDN('influx-writers'), membership('add', 'dave'))).catch(() => {}))
  mock.timers.tick(5 * MINUTE)
  assert.deepEqual(await use(gw, cookie), { status: 200, upstream: `Token ${RULE_TOKENS['influx-readers']}` })
  await slapd.admin((c) => c.modify(groupDN('influx-writers'), membership('add', 'dave')))
  mock.timers.tick(4 * MINUTE)
  assert.deepEqual(await use(gw, cookie), { status: 200, upstream: `Token ${RULE_TOKENS['influx-readers']}` }, 'the re-read groups were stored with their time')
  mock.timers.tick(MINUTE)
  assert.deepEqual(await use(gw, cookie), WRITER)
})

test('directory down mid-session: last-known groups serve for up to twice the interval, then 503, and the session survives', { skip }, async (t) => {
  const gw = await gateway(t)
  const cookie = await signIn(gw, 'alice', slapd.people.alice?.password)
  slapd.pause()
  t.after(() => slapd.resume())
  mock.timers.tick(5 * MINUTE)
  assert.deepEqual(await use(gw, cookie), WRITER, 'the check failed: served on the last-known groups')
  await gw.waitForLog((l) => l.msg === 'directory unavailable for a group check; the session keeps its last-known groups')
  mock.timers.tick(5 * MINUTE)
  const res = await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })
  assert.equal(res.status, 503)
  assert.equal(res.headers.get('retry-after'), '5')
  assert.equal(res.headers.get('set-cookie'), null, 'never signed out for the directory\'s failure')
  slapd.resume()
  mock.timers.tick(MINUTE)
  assert.deepEqual(await use(gw, cookie), WRITER, 'back once the directory answers')
})

test('a reload applies to directory sessions: a rotated rule token at once, a removed rule ends them', { skip }, async (t) => {
  const gw = await gateway(t)
  const cookie = await signIn(gw, 'bob', slapd.people.bob?.password)
  const reload = async (change: (c: Config) => Config): Promise<void> => {
    assert.equal(await createReloader({ deps: gw.deps, logger: gw.deps.logger, load: () => change(gw.deps.config) }).reload('test'), true)
  }
  await reload((c) => ({ ...c, access: c.access.map((r) => r.group === 'influx-readers' ? { ...r, token: 'rotated-readers-token' } : r) }))
  assert.deepEqual(await use(gw, cookie), { status: 200, upstream: 'Token rotated-readers-token' })
  await reload((c) => ({ ...c, access: c.access.filter((r) => r.group !== 'influx-readers') }))
  assert.deepEqual(await use(gw, cookie), { status: 403, body: INACTIVE })
  const again = await signIn(gw, 'dave', slapd.people.dave?.password)
  await reload((c) => ({ ...c, ldap: undefined }))
  assert.deepEqual(await use(gw, again), { status: 403, body: INACTIVE }, 'the directory is no longer configured')
})
