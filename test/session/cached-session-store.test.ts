import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createCachedSessionStore, touchAfterMs } from '../../src/session/cached-session-store.ts'
import type { GetSessionOptions, Session, SessionStore } from '../../src/session/session-store.ts'

const IDLE = 600_000

/** A store that keeps sessions in a Map with the real store's timeout rules and counts what it is asked. */
function countingStore (clock: { t: number }): SessionStore & { calls: string[] } {
  const sessions = new Map<string, Session>()
  const calls: string[] = []
  let n = 0
  return {
    calls,
    async create (who, stamp, _checkedAt, _attach, extras = {}) {
      const id = String(++n).padStart(43, 'A')
      const identity = typeof who === 'string' ? { name: who, source: 'file' as const, groups: [] } : who
      const session: Session = {
        user: identity.name, identity, checkedAt: undefined, stamp, revoked: false, createdAt: clock.t, idleExpiresAt: clock.t + IDLE, absoluteExpiresAt: clock.t + 8 * IDLE, ref: id.slice(-4), lastUsedAt: clock.t
      }
      if (extras.provider !== undefined) session.provider = extras.provider
      sessions.set(id, session)
      return { id, session }
    },
    async get (id: string, opts: GetSessionOptions = {}) {
      calls.push(opts.renew === false ? 'get' : 'renew')
      const s = sessions.get(id)
      // The answer arrives after a round trip, as Redis's would: whatever happens meanwhile happens after the read.
      await new Promise((resolve) => setImmediate(resolve))
      if (s === undefined || clock.t >= s.idleExpiresAt || clock.t >= s.absoluteExpiresAt) return undefined
      const renewed = opts.renew === false ? s : { ...s, idleExpiresAt: Math.min(clock.t + IDLE, s.absoluteExpiresAt) }
      const current = sessions.get(id) // as GETEX: only the expiry changes, and an ended session stays ended
      if (current !== undefined) sessions.set(id, { ...current, idleExpiresAt: renewed.idleExpiresAt })
      return renewed
    },
    heldAuthorizations: async () => new Set(),
    list: async () => ({ sessions: [...sessions.values()], truncated: false }),
    async endByRef (ref) {
      calls.push('endByRef')
      for (const [id, s] of sessions) if (s.ref === ref) { sessions.delete(id); return s }
      return undefined
    },
    async endOwner ({ name }) {
      calls.push('endOwner')
      const ended = [...sessions].filter(([, s]) => s.user === name)
      for (const [id] of ended) sessions.delete(id)
      return ended.map(([, s]) => s)
    },
    async endAll () {
      calls.push('endAll')
      const ended = [...sessions.values()]
      sessions.clear()
      return ended
    },
    async update (id, patch) {
      calls.push('update')
      const s = sessions.get(id)
      if (s !== undefined) sessions.set(id, { ...s, identity: { ...s.identity, groups: patch.groups }, checkedAt: patch.checkedAt })
      return s !== undefined
    },
    async destroy (id) { calls.push('destroy'); return sessions.delete(id) },
    async endProviderSessions (logout) {
      calls.push('end provider')
      const ended = [...sessions].filter(([, s]) => s.provider !== undefined && s.provider.sub === logout.sub)
      for (const [id] of ended) sessions.delete(id)
      return ended.map(([, s]) => s)
    },
    async revokeUser (user) {
      calls.push('revoke')
      for (const [id, s] of sessions) if (s.user === user) sessions.set(id, { ...s, revoked: true })
      return 1
    },
    ping: async () => {},
    count: async () => sessions.size,
    close: async () => {}
  }
}

function setup (freshMs = 60_000, maxEntries = 100) {
  const clock = { t: Date.UTC(2026, 10, 30) }
  const store = countingStore(clock)
  const cached = createCachedSessionStore({ store, now: () => clock.t, freshMs: () => freshMs, idleMs: () => IDLE, maxEntries })
  return { clock, store, cached }
}

test('a busy session costs no store write per request: renewal is written at most once per touchAfter', async () => {
  const { clock, store, cached } = setup()
  assert.equal(touchAfterMs(IDLE), 60_000)
  const { id } = await cached.create('alice', 's')
  for (let i = 0; i < 100; i++) {
    clock.t += 1000 // a request a second for 100 s
    assert.equal((await cached.get(id))?.user, 'alice')
  }
  assert.deepEqual(store.calls, ['renew'], 'written once, at 60 s, not 100 times')
})

test('the session never outlives its idle timeout: it ends between idleTimeout − touchAfter and idleTimeout after its last use', async () => {
  const { clock, cached } = setup()
  const { id } = await cached.create('alice', 's')
  clock.t += 59_000
  await cached.get(id) // not written: the store still ends it at IDLE after creation
  clock.t += IDLE - 59_000
  assert.equal(await cached.get(id), undefined, 'gone at the store\'s time, never later')
})

test('passive reads never renew; expiry is checked on every hit, not only on fresh ones', async () => {
  const { clock, store, cached } = setup(IDLE * 10)
  const { id } = await cached.create('alice', 's')
  for (let i = 0; i < 9; i++) {
    clock.t += 60_000
    assert.ok(await cached.get(id, { renew: false }))
  }
  clock.t += 60_000
  assert.equal(await cached.get(id, { renew: false }), undefined)
  assert.ok(!store.calls.includes('renew'))
})

test('destroy and revokeUser take effect here at once; another replica\'s change within freshMs', async () => {
  const { clock, store, cached } = setup(1000)
  const a = await cached.create('alice', 's')
  const b = await cached.create('bob', 's')
  await cached.revokeUser('alice')
  assert.equal((await cached.get(a.id))?.revoked, true, 'read again from the store')
  await cached.destroy(b.id)
  assert.equal(await cached.get(b.id), undefined)
  const c = await cached.create('carol', 's')
  await store.destroy(c.id) // as another replica would, behind this cache's back
  assert.equal((await cached.get(c.id, { renew: false }))?.user, 'carol', 'still believed within freshMs')
  clock.t += 1000
  assert.equal(await cached.get(c.id, { renew: false }), undefined, 'not after it')
})

test('a back-channel logout ends the cached sessions of the provider session here at once, not after freshMs', async () => {
  const { cached } = setup(60_000)
  const alice = { name: 'alice', source: 'oidc' as const, groups: [] }
  const a = await cached.create(alice, undefined, 0, undefined, { provider: { sub: 'sub-a', sid: 'sid-1' } })
  const b = await cached.create({ ...alice, name: 'bob' }, undefined, 0, undefined, { provider: { sub: 'sub-b' } })
  assert.equal((await cached.get(a.id))?.user, 'alice', 'cached')
  const ended = await cached.endProviderSessions({ sub: 'sub-a' })
  assert.deepEqual(ended.map((s) => s.user), ['alice'])
  assert.equal(await cached.get(a.id), undefined, 'no longer served from the cache')
  assert.equal((await cached.get(b.id))?.user, 'bob', 'another subject\'s session stays')
})

test('ending by ref, by owner or all takes effect here at once, however fresh the cached copy', async () => {
  const { cached } = setup(60_000)
  const a = await cached.create('alice', 's')
  const b = await cached.create('bob', 's')
  const c = await cached.create('carol', 's')
  for (const { id } of [a, b, c]) assert.ok(cached.peek(id, { renew: false }) !== undefined, 'cached')
  await cached.endByRef(a.session.ref, undefined)
  assert.equal(cached.peek(a.id, { renew: false }), undefined)
  assert.equal(await cached.get(a.id, { renew: false }), undefined)
  await cached.endOwner({ name: 'bob', source: 'file' })
  assert.equal(await cached.get(b.id, { renew: false }), undefined)
  assert.equal((await cached.get(c.id, { renew: false }))?.user, 'carol', 'another owner\'s stays')
  await cached.endAll()
  assert.equal(await cached.get(c.id, { renew: false }), undefined)
})

test('an update (a directory refresh) is seen here at once, without renewing', async () => {
  const { store, cached } = setup()
  const { id } = await cached.create({ name: 'dora', source: 'ldap', groups: ['readers'] }, undefined, 1)
  assert.equal(await cached.update(id, { groups: ['writers'], checkedAt: 2 }), true)
  const got = await cached.get(id, { renew: false })
  assert.deepEqual([got?.identity.groups, got?.checkedAt], [['writers'], 2])
  assert.deepEqual(store.calls, ['update'], 'served from the cache, updated in place')
})

test('freshMs 0 turns the cache off; maxEntries bounds it; clear forgets everything', async () => {
  const off = setup(0)
  const { id } = await off.cached.create('alice', 's')
  await off.cached.get(id, { renew: false })
  await off.cached.get(id, { renew: false })
  assert.deepEqual(off.store.calls, ['get', 'get'])
  const small = setup(60_000, 2)
  const ids = [(await small.cached.create('a', 's')).id, (await small.cached.create('b', 's')).id, (await small.cached.create('c', 's')).id]
  for (const i of [...ids].reverse()) await small.cached.get(i, { renew: false })
  assert.deepEqual(small.store.calls, ['get'], 'the two newest were hits, the oldest had been evicted')
  small.cached.clear()
  await small.cached.get(ids[0] as string, { renew: false })
  assert.deepEqual(small.store.calls, ['get', 'get'])
})

test('a read in flight while the session is destroyed, revoked or the cache cleared does not put it back', async () => {
  for (const end of ['destroy', 'revoke', 'clear'] as const) {
    const { clock, store, cached } = setup()
    const { id } = await cached.create('alice', 's')
    clock.t += 61_000 // a renewal is due: the read goes to the store
    const reading = cached.get(id)
    const ending = end === 'destroy' ? cached.destroy(id) : end === 'revoke' ? cached.revokeUser('alice') : Promise.resolve(cached.clear())
    await Promise.all([reading, ending])
    clock.t += 1000
    const after = await cached.get(id, { renew: false })
    if (end === 'destroy') assert.equal(after, undefined, 'signed out stays signed out')
    if (end === 'revoke') assert.equal(after?.revoked, true, 'the revocation is seen')
    if (end === 'clear') assert.deepEqual(store.calls, ['renew', 'get'], 'the cleared cache was not refilled by the read in flight')
  }
})
