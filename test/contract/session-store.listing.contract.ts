import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Identity } from '../../src/auth/identity.ts'
import type { ContractHooks, StoreUnderTest } from './session-store.contract.ts'

/** Seeing and ending sessions on request: every store lists and ends them alike (the sessions page and API). */
export function listingContract (name: string, hooks: ContractHooks): void {
  const idle = hooks.idleMs
  const open = async (t: { after: (fn: () => Promise<void>) => void }): Promise<StoreUnderTest> => {
    const s = await hooks.create({ idleTimeoutMs: idle, absoluteTimeoutMs: idle * 4 })
    t.after(() => s.store.close())
    return s
  }

  test(`${name}: a session keeps its client address and browser, and they leave with it`, async (t) => {
    const { store, dump } = await open(t)
    const origin = { address: '192.0.2.7', userAgent: 'Mozilla/5.0 (X11) Firefox/140' }
    const { id, session } = await store.create('alice', 's', undefined, undefined, { origin })
    assert.equal(session.address, origin.address)
    const got = await store.get(id)
    assert.equal(got?.address, origin.address)
    assert.equal(got?.userAgent, origin.userAgent)
    const [listed] = (await store.list({ name: 'alice', source: 'file' }, 10)).sessions
    assert.deepEqual([listed?.ref, listed?.address, listed?.userAgent, listed?.lastUsedAt], [session.ref, origin.address, origin.userAgent, session.createdAt])
    assert.equal((await store.endByRef(session.ref, undefined))?.ref, session.ref)
    assert.ok(!(await dump()).some(([, value]) => value.includes('192.0.2.7') || value.includes('Firefox')), 'personal data gone')
  })

  test(`${name}: lists an owner's live sessions (source and name), or everyone's up to a bound`, async (t) => {
    const { store } = await open(t)
    const file = [await store.create('alice'), await store.create('alice')]
    const ldap = await store.create({ name: 'alice', source: 'ldap', groups: ['g'] }, undefined, hooks.now())
    await store.create('bob')
    await store.destroy((await store.create('alice')).id)
    const refs = (sessions: Array<{ ref: string }>): string[] => sessions.map((s) => s.ref).sort()
    assert.deepEqual(refs((await store.list({ name: 'alice', source: 'file' }, 10)).sessions), refs(file.map((c) => c.session)))
    assert.deepEqual(refs((await store.list({ name: 'alice', source: 'ldap' }, 10)).sessions), [ldap.session.ref])
    assert.deepEqual((await store.list({ name: 'carol', source: 'file' }, 10)).sessions, [])
    const all = await store.list(undefined, 10)
    assert.equal(all.sessions.length, 4)
    assert.equal(all.truncated, false)
    const bounded = await store.list(undefined, 2)
    assert.deepEqual([bounded.sessions.length, bounded.truncated], [2, true])
    await store.revokeUser('bob')
    assert.equal((await store.list(undefined, 10)).sessions.length, 3, 'a revoked session is not listed')
  })

  test(`${name}: ends one session by its ref, only among its owner's when one is named`, async (t) => {
    const { store } = await open(t)
    const alice = await store.create('alice')
    const bob = await store.create('bob')
    const aliceKey = { name: 'alice', source: 'file' } as const
    assert.equal(await store.endByRef(bob.session.ref, aliceKey), undefined, 'not alice\'s')
    assert.equal((await store.get(bob.id))?.user, 'bob')
    assert.equal(await store.endByRef('AAAAAAAAAAAA', undefined), undefined, 'unknown ref')
    assert.equal((await store.endByRef(alice.session.ref, aliceKey))?.user, 'alice')
    assert.equal(await store.get(alice.id), undefined)
    assert.equal(await store.endByRef(alice.session.ref, aliceKey), undefined, 'ended once')
    assert.equal((await store.endByRef(bob.session.ref, undefined))?.user, 'bob', 'anyone\'s, when no owner is named')
    assert.equal(await store.get(bob.id), undefined)
  })

  test(`${name}: ends every session of one owner (not a same-named one of another source), or all`, async (t) => {
    const { store, dump } = await open(t)
    const file = [await store.create('alice'), await store.create('alice')]
    const proxy = await store.create({ name: 'alice', source: 'proxy', groups: [] }, undefined, hooks.now())
    const bob = await store.create('bob')
    const ended = await store.endOwner({ name: 'alice', source: 'file' })
    assert.deepEqual(ended.map((s) => s.ref).sort(), file.map((c) => c.session.ref).sort())
    for (const { id } of file) assert.equal(await store.get(id), undefined)
    assert.equal((await store.get(proxy.id))?.identity.source, 'proxy')
    assert.deepEqual(await store.endOwner({ name: 'alice', source: 'file' }), [])
    assert.equal((await store.endOwner({ name: 'alice', source: 'proxy' }))[0]?.ref, proxy.session.ref)
    const rest = await Promise.all(Array.from({ length: 30 }, async (_, i) => await store.create(`user${i}`)))
    assert.equal((await store.endAll()).length, 31)
    for (const { id } of [bob, ...rest]) assert.equal(await store.get(id), undefined)
    assert.deepEqual(await dump(), [])
  })

  test(`${name}: ends every session of one owner but the one it keeps ("end all other sessions")`, async (t) => {
    const { store } = await open(t)
    const [kept, ...others] = [await store.create('alice'), await store.create('alice'), await store.create('alice')]
    const ended = await store.endOwner({ name: 'alice', source: 'file' }, kept?.session.ref)
    assert.deepEqual(ended.map((s) => s.ref).sort(), others.map((c) => c.session.ref).sort())
    assert.equal((await store.get(kept?.id ?? ''))?.user, 'alice', 'the kept session lives on')
    for (const { id } of others) assert.equal(await store.get(id), undefined)
  })

  test(`${name}: a group refresh or a renewal racing the end of its owner's sessions never brings one back`, async (t) => {
    const { store } = await open(t)
    const ldap: Identity = { name: 'dave', source: 'ldap', groups: ['a'] }
    const ended = await Promise.all(Array.from({ length: 20 }, async () => await store.create(ldap, undefined, hooks.now())))
    const racing: Array<Promise<unknown>> = ended.flatMap(({ id }) => [store.update(id, { groups: ['b'], checkedAt: hooks.now() }), store.get(id)])
    await Promise.all([...racing, store.endOwner(ldap)])
    for (const { id } of ended) assert.equal(await store.get(id), undefined)
  })

  test(`${name}: a revocation racing group refreshes of the same records loses neither (compare-and-set of whole signed values)`, async (t) => {
    const { store } = await open(t)
    const ids = await Promise.all(Array.from({ length: 20 }, async () => (await store.create('erin', 's')).id))
    const refreshes = ids.map(async (id) => await store.update(id, { groups: ['refreshed'], checkedAt: hooks.now() }))
    const [revoked] = await Promise.all([store.revokeUser('erin'), ...refreshes])
    assert.equal(revoked, 20)
    for (const id of ids) {
      const got = await store.get(id, { renew: false })
      assert.deepEqual([got?.revoked, got?.identity.groups], [true, ['refreshed']], 'both writes landed')
    }
  })
}
