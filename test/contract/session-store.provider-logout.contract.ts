import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Identity } from '../../src/auth/identity.ts'
import type { ContractHooks, StoreUnderTest } from './session-store.contract.ts'

/** Back-channel logout's part of the session store contract: every store ends a provider's sessions alike. */
export function providerLogoutContract (name: string, hooks: ContractHooks): void {
  const open = async (t: { after: (fn: () => Promise<void>) => void }): Promise<StoreUnderTest> => {
    const s = await hooks.create({ idleTimeoutMs: hooks.idleMs, absoluteTimeoutMs: hooks.idleMs * 4 })
    t.after(() => s.store.close())
    return s
  }
  const alice: Identity = { name: 'alice', source: 'oidc', groups: ['staff'] }

  test(`${name}: a provider's logout by sid ends that provider session's sessions only, by sub all of the subject's`, async (t) => {
    const { store } = await open(t)
    const first = await store.create(alice, undefined, hooks.now(), undefined, { provider: { sub: 'sub-alice', sid: 'sid-1' } })
    const again = await store.create(alice, undefined, hooks.now(), undefined, { provider: { sub: 'sub-alice', sid: 'sid-1' } })
    const elsewhere = await store.create(alice, undefined, hooks.now(), undefined, { provider: { sub: 'sub-alice', sid: 'sid-2' } })
    // Another subject the provider also calls alice (a reused user name): never ended by alice's logout.
    const namesake = await store.create(alice, undefined, hooks.now(), undefined, { provider: { sub: 'sub-other', sid: 'sid-3' } })
    const file = await store.create('alice', 'stamp')
    assert.deepEqual((await store.get(first.id))?.provider, { sub: 'sub-alice', sid: 'sid-1' })

    assert.deepEqual(await store.endProviderSessions({ sid: 'sid-1', sub: 'sub-other' }), [], 'sid and sub must both match')
    const bySid = await store.endProviderSessions({ sid: 'sid-1' })
    assert.deepEqual(bySid.map((s) => s.ref).sort(), [first.session.ref, again.session.ref].sort())
    assert.equal(await store.get(first.id), undefined)
    assert.equal(await store.get(again.id), undefined)
    assert.equal((await store.get(elsewhere.id))?.user, 'alice', 'another provider session of the same subject stays')
    assert.deepEqual(await store.endProviderSessions({ sid: 'sid-1' }), [], 'ending twice ends nothing more')

    const bySub = await store.endProviderSessions({ sub: 'sub-alice' })
    assert.deepEqual(bySub.map((s) => s.ref), [elsewhere.session.ref])
    assert.equal(await store.get(elsewhere.id), undefined)
    assert.equal((await store.get(namesake.id))?.user, 'alice', 'another subject of the same name stays')
    assert.equal((await store.get(file.id))?.user, 'alice', 'a file user of the same name stays')
  })

  test(`${name}: a provider's logout naming no stored session ends nothing`, async (t) => {
    const { store } = await open(t)
    const kept = await store.create(alice, undefined, hooks.now(), undefined, { provider: { sub: 'sub-alice' } })
    assert.deepEqual(await store.endProviderSessions({ sid: 'unknown' }), [])
    assert.deepEqual(await store.endProviderSessions({ sub: 'unknown' }), [])
    assert.equal((await store.get(kept.id))?.user, 'alice')
  })
}
