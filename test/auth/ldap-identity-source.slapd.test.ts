/**
 * The LDAP identity source against a real OpenLDAP: sign-in by uid, groups through `member`, nested OUs,
 * injection attempts through the name, the empty password, TLS, and a directory that is down or hangs.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { before, after, test } from 'node:test'
import { Attribute, Change } from 'ldapts'
import { createWorkLimiter } from '../../src/auth/work-limiter.ts'
import type { VerifyOutcome } from '../../src/auth/identity-source.ts'
import { createLdapIdentitySource } from '../../src/auth/ldap-identity-source.ts'
import type { LdapConfig } from '../../src/config/identity-schema.ts'
import { GatewayError } from '../../src/errors.ts'
import { requireBinary } from '../helpers/binaries.ts'
import { directoryLdap } from '../helpers/directory-gateway.ts'
import { startSlapd, type Slapd } from '../helpers/slapd.ts'

const binary = requireBinary('slapd', 'slapd', 'real OpenLDAP (directory sign-in)')
const skip = binary === undefined ? 'slapd not installed' : false

let slapd: Slapd
before(async () => { if (binary !== undefined) slapd = await startSlapd(binary, { tls: true }) })
after(async () => { await slapd?.stop() })

const limiter = createWorkLimiter(() => ({ maxConcurrent: 4, maxQueued: 32, maxWaitMs: 5000 }))

function config (overrides: Partial<LdapConfig> = {}): LdapConfig {
  return {
    ...directoryLdap(slapd),
    timeout: 2000,
    refreshInterval: 300_000,
    maxConcurrentBinds: 4,
    ...overrides
  }
}

const source = (overrides: Partial<LdapConfig> = {}, ca?: Buffer): ReturnType<typeof createLdapIdentitySource> =>
  createLdapIdentitySource({ config: config(overrides), ...(ca === undefined ? {} : { ca }), limiter })
const password = (uid: string): string => slapd.people[uid]?.password ?? assert.fail(`no ${uid}`)
const ok = (name: string, groups: string[]): VerifyOutcome => ({ outcome: 'ok', identity: { name, source: 'ldap', groups } })
const INVALID = (userKnown: boolean): VerifyOutcome => ({ outcome: 'invalid', source: 'ldap', userKnown })

/** Asserts that `promise` rejects with 503 `directoryUnavailable`. */
async function assertUnavailable (promise: Promise<unknown>, what: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => err instanceof GatewayError && err.kind === 'directoryUnavailable' && err.status === 503, what)
}

test('sign-in by uid anywhere below userBase, groups through member', { skip }, async () => {
  const ldap = source()
  assert.deepEqual(await ldap.verify('alice', password('alice')), ok('alice', ['influx-writers']))
  assert.deepEqual(await ldap.verify('bob', password('bob')), ok('bob', ['influx-readers']), 'two OUs deeper')
  assert.deepEqual(await ldap.verify('dave', password('dave')), ok('dave', ['influx-readers', 'influx-writers']))
  assert.deepEqual(await ldap.verify('carol', password('carol')), ok('carol', ['unrelated']))
  assert.deepEqual(await ldap.verify('alice', password('bob')), INVALID(true), 'another user\'s password')
  assert.deepEqual(await ldap.verify('nobody', password('alice')), INVALID(false))
})

test('an empty password is refused before any bind (the directory would accept it as an unauthenticated bind)', { skip }, async () => {
  assert.deepEqual(await source().verify('alice', ''), INVALID(false))
  // The directory itself lets the empty password through: the refusal must be the gateway's.
  assert.equal(await slapd.admin(async (c) => { await c.bind(slapd.people.alice?.dn ?? '', ''); return 'bound' }), 'bound')
})

test('a name cannot widen the user filter: wildcards, escapes, extra clauses, NUL, unbalanced parentheses', { skip }, async () => {
  const ldap = source({ userFilter: '(&(uid={username})(!(employeeType=disabled)))' })
  const attempts: Array<[string, string]> = [
    ['ali*', password('alice')],
    ['*', password('alice')],
    ['a*e', password('alice')],
    ['\\61lice', password('alice')],
    ['admin)(uid=*', password('admin')],
    ['*)(uid=admin', password('admin')],
    ['alice\0', password('alice')],
    ['alice)', password('alice')],
    ['erin', password('erin')],
    ['erin)(|(uid=erin', password('erin')]
  ]
  for (const [name, pw] of attempts) {
    assert.deepEqual(await ldap.verify(name, pw), INVALID(false), JSON.stringify(name))
  }
  assert.deepEqual(await ldap.verify('alice', password('alice')), ok('alice', ['influx-writers']), 'the plain name still works')
})

test('a userFilter that matches more than one entry refuses the sign-in, whichever entry\'s password is given', { skip }, async () => {
  // alice and carol both match for the name `alice`: no entry is the user, so neither password may sign in as alice.
  const ldap = source({ userFilter: '(|(uid={username})(cn=carol))' })
  assert.deepEqual(await ldap.verify('alice', password('alice')), INVALID(false), 'the named user\'s own password')
  assert.deepEqual(await ldap.verify('alice', password('carol')), INVALID(false), 'the other entry\'s password')
  assert.deepEqual(await ldap.lookup('alice'), { outcome: 'gone' }, 'nor is it found for a group check')
  assert.deepEqual(await source().verify('alice', password('alice')), ok('alice', ['influx-writers']), 'one match signs in')
})

test('a name cannot move the user DN: userDN escapes it (RFC 4514)', { skip }, async () => {
  const ldap = source({ userFilter: undefined, userDN: `uid={username},ou=people,${slapd.suffix}` })
  assert.deepEqual(await ldap.verify('alice', password('alice')), ok('alice', ['influx-writers']))
  for (const name of ['mallory,ou=disabled', 'mallory, ou=disabled', 'mallory+cn=x,ou=disabled', 'mallory\\,ou=disabled']) {
    assert.deepEqual(await ldap.verify(name, password('mallory')), INVALID(false), JSON.stringify(name))
  }
})

test('lookup re-reads groups, and tells a removed user', { skip }, async () => {
  const ldap = source()
  const group = `cn=influx-readers,ou=groups,${slapd.suffix}`
  assert.deepEqual(await ldap.lookup('dave'), { outcome: 'found', identity: { name: 'dave', source: 'ldap', groups: ['influx-readers', 'influx-writers'] } })
  await slapd.admin((c) => c.modify(group, new Change({ operation: 'delete', modification: new Attribute({ type: 'member', values: [slapd.people.dave?.dn ?? ''] }) })))
  assert.deepEqual(await ldap.lookup('dave'), { outcome: 'found', identity: { name: 'dave', source: 'ldap', groups: ['influx-writers'] } })
  await slapd.admin((c) => c.modify(group, new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [slapd.people.dave?.dn ?? ''] }) })))
  assert.deepEqual(await ldap.lookup('nobody'), { outcome: 'gone' })
  assert.deepEqual(await ldap.lookup('ali*'), { outcome: 'gone' })
})

test('StartTLS and ldaps:// verify the directory against the configured CA', { skip }, async () => {
  const ca = readFileSync(slapd.caFile ?? '')
  assert.deepEqual(await source({ startTLS: true }, ca).verify('bob', password('bob')), ok('bob', ['influx-readers']))
  assert.deepEqual(await source({ url: slapd.ldapsUrl ?? '' }, ca).verify('bob', password('bob')), ok('bob', ['influx-readers']))
  await assertUnavailable(source({ startTLS: true }).verify('bob', password('bob')), 'StartTLS without the test CA')
  await assertUnavailable(source({ url: slapd.ldapsUrl ?? '' }).verify('bob', password('bob')), 'ldaps:// without the test CA')
  const localhost = (slapd.ldapsUrl ?? '').replace('127.0.0.1', 'localhost')
  assert.deepEqual(await source({ url: localhost }, ca).verify('bob', password('bob')), ok('bob', ['influx-readers']), 'the certificate names localhost too')
})

test('a refused service account is the directory\'s failure (503), never the user\'s (401)', { skip }, async () => {
  await assertUnavailable(source({ bindPassword: 'not-the-service-password' }).verify('alice', password('alice')), 'wrong bindPassword')
  await assertUnavailable(source({ userBase: `ou=nowhere,${slapd.suffix}` }).verify('alice', password('alice')), 'userBase that does not exist')
})

test('a hung directory answers 503 within ldap.timeout; a stopped one at once', { skip }, async (t) => {
  const ldap = source({ timeout: 300 })
  slapd.pause()
  t.after(() => slapd.resume())
  const started = Date.now()
  await assertUnavailable(ldap.verify('alice', password('alice')), 'paused')
  await assertUnavailable(ldap.lookup('alice'), 'paused lookup')
  assert.ok(Date.now() - started < 2000, 'bounded by the timeout, not by TCP')
  slapd.resume()
  // A roomier timeout once it is back: a loaded machine may take more than 300 ms to wake it.
  assert.deepEqual(await source({ timeout: 5000 }).verify('alice', password('alice')), ok('alice', ['influx-writers']), 'back when it is')
  const stopped = await startSlapd(binary as string)
  await stopped.stop()
  await assertUnavailable(createLdapIdentitySource({ config: { ...config(), url: stopped.url }, limiter }).verify('alice', 'whatever-password'), 'stopped')
})
