import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createIdentityRefresher } from '../../src/auth/identity-refresher.ts'
import type { Identity } from '../../src/auth/identity.ts'
import type { LookupOutcome } from '../../src/auth/identity-source.ts'
import { GatewayError } from '../../src/errors.ts'

const MINUTE = 60_000
const ALICE: Identity = { name: 'alice', source: 'ldap', groups: ['old'] }

/** A refresher over a directory whose answer a test sets; counts lookups; a clock the test moves. */
function setup (): { refresher: ReturnType<typeof createIdentityRefresher>, clock: { t: number }, dir: { answer: () => Promise<LookupOutcome>, lookups: number }, failures: unknown[] } {
  const clock = { t: 0 }
  const failures: unknown[] = []
  const dir = { answer: async (): Promise<LookupOutcome> => ({ outcome: 'found', identity: { ...ALICE, groups: ['new'] } }), lookups: 0 }
  const refresher = createIdentityRefresher({
    source: (name) => name === 'ldap' ? { lookup: async () => { dir.lookups++; return await dir.answer() } } : name === 'oidc' ? 'session' : undefined,
    intervalMs: () => 5 * MINUTE,
    now: () => clock.t,
    onFailure: (err) => failures.push(err)
  })
  return { refresher, clock, dir, failures }
}

test('not due within the interval; due after it, with the new groups and the time they were read', async () => {
  const { refresher, clock, dir } = setup()
  clock.t = 5 * MINUTE - 1
  assert.deepEqual(await refresher.refresh(ALICE, 0), { kind: 'current' })
  assert.equal(dir.lookups, 0)
  clock.t = 5 * MINUTE
  assert.deepEqual(await refresher.refresh(ALICE, 0), { kind: 'updated', identity: { ...ALICE, groups: ['new'] }, checkedAt: 5 * MINUTE })
  dir.answer = async () => ({ outcome: 'gone' })
  assert.deepEqual(await refresher.refresh(ALICE, 0), { kind: 'gone' })
})

test('concurrent requests of a due session share one lookup', async () => {
  const { refresher, clock, dir } = setup()
  clock.t = 6 * MINUTE
  const results = await Promise.all(Array.from({ length: 10 }, () => refresher.refresh(ALICE, 0)))
  assert.equal(dir.lookups, 1)
  assert.ok(results.every((r) => r.kind === 'updated'))
})

test('a failing directory: last-known groups with a back-off between attempts, 503 past twice the interval', async () => {
  const { refresher, clock, dir, failures } = setup()
  dir.answer = async () => { throw new Error('down') }
  clock.t = 5 * MINUTE
  assert.deepEqual(await refresher.refresh(ALICE, 0), { kind: 'current' }, 'served on last-known groups')
  assert.equal(failures.length, 1)
  clock.t += 29_000
  assert.deepEqual(await refresher.refresh(ALICE, 0), { kind: 'current' })
  assert.equal(dir.lookups, 1, 'no new attempt within the back-off')
  clock.t += 1000
  await refresher.refresh(ALICE, 0)
  assert.equal(dir.lookups, 2, 'retried after it')
  clock.t = 10 * MINUTE
  await assert.rejects(refresher.refresh(ALICE, 0), (err: unknown) => err instanceof GatewayError && err.kind === 'directoryUnavailable')
  assert.deepEqual(await refresher.refresh(ALICE, 9 * MINUTE), { kind: 'current' }, 'a session checked more recently still serves')
  dir.answer = async () => ({ outcome: 'found', identity: ALICE })
  clock.t += 30_000
  assert.equal((await refresher.refresh(ALICE, 0)).kind, 'updated', 'back when the directory answers')
})

test('identities of a source no longer configured are gone, due or not', async () => {
  const { refresher } = setup()
  assert.deepEqual(await refresher.refresh({ name: 'x', source: 'file', groups: [] }, 0), { kind: 'gone' })
})

test('identities of a source whose groups hold for the session (an identity provider) stay current, never looked up', async () => {
  const { refresher, clock, dir } = setup()
  const sso: Identity = { name: 'carol', source: 'oidc', groups: ['influx-readers'] }
  clock.t = 100 * MINUTE
  assert.deepEqual(await refresher.refresh(sso, 0), { kind: 'current' })
  assert.equal(dir.lookups, 0)
  assert.equal((await refresher.refresh(ALICE, 0)).kind, 'updated', 'directory identities are still read again')
})

test('isCurrent says, without a lookup, exactly when refresh would answer current at once', async () => {
  const { refresher, clock, dir } = setup()
  clock.t = 5 * MINUTE - 1
  assert.equal(refresher.isCurrent(ALICE, 0), true)
  clock.t = 5 * MINUTE
  assert.equal(refresher.isCurrent(ALICE, 0), false, 'due: a lookup is needed')
  assert.equal(refresher.isCurrent({ ...ALICE, source: 'oidc' }, 0), true, 'groups held for the session')
  assert.equal(refresher.isCurrent({ ...ALICE, source: 'proxy' }, 0), false, 'a source no longer configured')
  assert.equal(dir.lookups, 0)
  assert.deepEqual(await refresher.refresh({ ...ALICE, source: 'proxy' }, 0), { kind: 'gone' })
})
