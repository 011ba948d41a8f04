import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Redis } from 'ioredis'
import type { SessionStore } from '../../src/session/session-store.ts'

/**
 * A key's value for a dump: a string as is, a set or sorted set as its sorted members joined with `,`, a hash
 * as its fields and values in JSON.
 */
export async function storedValue (client: Pick<Redis, 'type' | 'get' | 'smembers' | 'zrange' | 'hgetall'>, key: string): Promise<string> {
  const type = await client.type(key)
  if (type === 'set') return (await client.smembers(key)).sort().join(',')
  if (type === 'zset') return (await client.zrange(key, 0, -1)).sort().join(',')
  if (type === 'hash') return JSON.stringify(await client.hgetall(key))
  return await client.get(key) ?? ''
}

/** A store under test plus what the contract needs to look inside it. */
export interface StoreUnderTest {
  store: SessionStore
  /** Every key and value the backing Redis holds. */
  dump: () => Promise<Array<[string, string]>>
  /** The backing Redis itself, as someone with write access to it uses it. */
  client: Pick<Redis, 'get' | 'set' | 'persist' | 'exists'>
  /** The key the session of `id` is stored under. */
  sessionKey: (id: string) => string
}

/** What a store implementation provides to run the contract. */
export interface ContractHooks {
  /** A fresh, empty store with these timeouts and this cap of sessions per identity (default 0: none). */
  create: (opts: { idleTimeoutMs: number, absoluteTimeoutMs: number, maxPerIdentity?: number }) => Promise<StoreUnderTest>
  /** Moves time forward for the store: its fake clock, and the TTLs of the keys Redis holds. */
  fastForward: (ms: number) => Promise<void>
  /** The store's clock. */
  now: () => number
  /** The idle timeout the contract scales its steps by. */
  idleMs: number
}

/** One behavioural suite every SessionStore must pass (oauth2-proxy pkg/sessions/tests). */
export function sessionStoreContract (name: string, hooks: ContractHooks): void {
  const idle = hooks.idleMs
  const open = async (
    t: { after: (fn: () => Promise<void>) => void }, absoluteTimeoutMs = idle * 4, idleTimeoutMs = idle, maxPerIdentity = 0
  ): Promise<StoreUnderTest> => {
    const s = await hooks.create({ idleTimeoutMs, absoluteTimeoutMs, maxPerIdentity })
    t.after(() => s.store.close())
    return s
  }

  test(`${name}: create then get returns the user and both expiry times`, async (t) => {
    const { store } = await open(t)
    const before = hooks.now()
    const { id, session } = await store.create('alice')
    assert.match(id, /^[A-Za-z0-9_-]{43}$/)
    assert.equal(session.user, 'alice')
    const got = await store.get(id)
    assert.equal(got?.user, 'alice')
    assert.equal(got?.createdAt, session.createdAt)
    assert.ok(got !== undefined && got.absoluteExpiresAt >= before + idle * 4)
    assert.ok(got.idleExpiresAt <= got.absoluteExpiresAt)
    assert.equal(await store.get('A'.repeat(43)), undefined, 'unknown id')
    assert.equal(await store.get('not an id'), undefined, 'malformed id')
  })

  test(`${name}: neither the id nor anything but the user name is stored`, async (t) => {
    const { store, dump } = await open(t)
    const { id } = await store.create('alice', 'stamp-1')
    const entries = await dump()
    for (const [key, value] of entries) assert.ok(!key.includes(id) && !value.includes(id), 'raw id stored')
    const records = entries.filter(([, value]) => value.includes('"alice"'))
    assert.equal(records.length, 1, 'one session record')
    const [recordKey] = records[0] as [string, string]
    const others = entries.filter(([key]) => key !== recordKey)
    assert.ok(others.some(([key]) => /:identity:[\w-]{43}:0$/.test(key)), 'the identity\'s index of session keys')
    for (const [key, value] of others) {
      if (/:identity:[\w-]{43}$/.test(key)) assert.deepEqual(Object.keys(JSON.parse(value) as object).sort(), ['c', 'hi', 'lo', 'n', 't'], key)
      else assert.equal(value, recordKey, `${key}: holds nothing but the record's key`)
    }
  })

  test(`${name}: a session keeps the stamp it was created with; revokeUser marks only that file user's live sessions`, async (t) => {
    const { store, dump } = await open(t)
    const a1 = await store.create('alice', 'stamp-a')
    const a2 = await store.create('alice', 'stamp-a')
    const ended = await store.create('alice', 'stamp-a')
    const b = await store.create('bob', 'stamp-b')
    const namesakes = [await store.create({ name: 'alice', source: 'oidc', groups: [] }), await store.create({ name: 'alice', source: 'ldap', groups: [] })]
    assert.equal(await store.destroy(ended.id), true)
    assert.equal((await store.get(a1.id))?.stamp, 'stamp-a')
    assert.equal((await store.get(a1.id))?.revoked, false)
    assert.equal(await store.revokeUser('alice'), 2)
    assert.equal((await store.get(a1.id))?.revoked, true)
    assert.equal((await store.get(a2.id, { renew: false }))?.revoked, true)
    assert.equal((await store.get(b.id))?.revoked, false, 'other users are untouched')
    for (const n of namesakes) assert.equal((await store.get(n.id))?.revoked, false, 'a namesake from another source is someone else')
    assert.equal(await store.get(ended.id), undefined, 'an ended session is not brought back')
    assert.equal(await store.revokeUser('alice'), 0, 'marked once')
    assert.equal(await store.revokeUser('nobody'), 0)
    for (const id of [a1.id, a2.id, b.id, ...namesakes.map((n) => n.id)]) await store.destroy(id)
    assert.deepEqual(await dump(), [], 'the indexes go with the last session')
  })

  test(`${name}: a directory identity keeps its source and groups; update rewrites them without renewing or reviving`, async (t) => {
    const { store } = await open(t)
    const identity = { name: 'bob', source: 'ldap' as const, groups: ['readers'] }
    const { id, session } = await store.create(identity, undefined, 1234)
    assert.deepEqual([session.identity, session.checkedAt], [identity, 1234])
    const file = await store.create('alice', 'stamp-a')
    assert.deepEqual((await store.get(file.id))?.identity, { name: 'alice', source: 'file', groups: [] }, 'a bare name is a file user')
    const sso = { name: 'carol', source: 'oidc' as const, groups: ['influx-readers'] }
    const signedOn = await store.create(sso, undefined, 1234)
    assert.deepEqual((await store.get(signedOn.id))?.identity, sso, 'an identity provider\'s identity keeps its source and groups')
    await hooks.fastForward(idle * 0.6)
    assert.equal(await store.update(id, { groups: ['writers'], checkedAt: 5678 }), true)
    const updated = await store.get(id, { renew: false })
    assert.deepEqual([updated?.identity, updated?.checkedAt, updated?.user], [{ ...identity, groups: ['writers'] }, 5678, 'bob'])
    await hooks.fastForward(idle * 0.6)
    assert.equal(await store.get(id), undefined, 'the update did not renew the idle timeout')
    assert.equal(await store.update(id, { groups: [], checkedAt: 1 }), false, 'an ended session is not brought back')
    assert.equal(await store.update('not an id', { groups: [], checkedAt: 1 }), false)
  })

  test(`${name}: each request renews the idle timeout; passive reads do not`, async (t) => {
    const { store } = await open(t)
    const { id } = await store.create('alice')
    await hooks.fastForward(idle * 0.6)
    assert.ok(await store.get(id))
    await hooks.fastForward(idle * 0.6)
    assert.ok(await store.get(id), 'renewed by the previous get')
    await hooks.fastForward(idle * 0.6)
    assert.ok(await store.get(id, { renew: false }), 'still inside the renewed window')
    await hooks.fastForward(idle * 0.6)
    assert.equal(await store.get(id), undefined, 'the passive read did not renew')
  })

  test(`${name}: an unused session ends after the idle timeout`, async (t) => {
    const { store } = await open(t)
    const { id } = await store.create('alice')
    await hooks.fastForward(idle * 1.2)
    assert.equal(await store.get(id), undefined)
    assert.equal(await store.destroy(id), false)
  })

  test(`${name}: renewal never passes the absolute timeout`, async (t) => {
    const { store } = await open(t, idle * 2)
    const { id, session } = await store.create('alice')
    for (let elapsed = 0; elapsed < idle * 1.8; elapsed += idle * 0.3) {
      await hooks.fastForward(idle * 0.3)
      const got = await store.get(id)
      assert.ok(got, `alive at ${elapsed}`)
      assert.ok(got.idleExpiresAt <= session.absoluteExpiresAt)
    }
    await hooks.fastForward(idle * 0.3)
    assert.equal(await store.get(id), undefined, 'ended at the absolute timeout')
  })

  test(`${name}: destroy ends a session and is safe to repeat`, async (t) => {
    const { store } = await open(t)
    const a = await store.create('alice')
    const b = await store.create('alice')
    assert.notEqual(a.id, b.id)
    assert.equal(await store.destroy(a.id), true)
    assert.equal(await store.destroy(a.id), false)
    assert.equal(await store.get(a.id), undefined)
    assert.equal((await store.get(b.id))?.user, 'alice', 'other sessions of the user live on')
  })

  test(`${name}: a renewal racing a destroy never brings the session back`, async (t) => {
    const { store, dump } = await open(t)
    const ids = await Promise.all(Array.from({ length: 50 }, async () => (await store.create('alice')).id))
    await Promise.all(ids.flatMap((id) => [store.get(id), store.destroy(id), store.get(id)]))
    for (const id of ids) assert.equal(await store.get(id), undefined)
    assert.deepEqual(await dump(), [])
  })

  test(`${name}: past maxPerIdentity a create ends the identity's oldest sessions; ended ones do not count`, async (t) => {
    const { store, dump } = await open(t, idle * 4, idle, 3)
    const first = []
    for (let i = 0; i < 5; i++) first.push(await store.create('alice'))
    assert.deepEqual(first.map((c) => c.evicted ?? []).map((e) => e.length), [0, 0, 0, 1, 1])
    assert.deepEqual(first[3]?.evicted, [first[0]?.session.ref], 'the oldest-created one')
    const alive = await Promise.all(first.map(async (c) => (await store.get(c.id, { renew: false }))?.user))
    assert.deepEqual(alive, [undefined, undefined, 'alice', 'alice', 'alice'])
    await hooks.fastForward(idle + 1)
    const next = []
    for (let i = 0; i < 3; i++) next.push(await store.create('alice'))
    assert.deepEqual(next.map((c) => c.evicted ?? []), [[], [], []], 'sessions that timed out leave room')
    for (const c of next) assert.equal((await store.get(c.id, { renew: false }))?.user, 'alice')
    const entries = (await dump()).filter(([key]) => /:identity:[\w-]{43}:\d+$/.test(key)).flatMap(([, v]) => v.split(','))
    assert.ok(entries.length <= 3 + 1, `the index holds the live sessions (and at most one ended), not ${entries.length}`)
  })

  test(`${name}: the cap is per identity: a file user and a directory or single sign-on user of one name are two`, async (t) => {
    const { store } = await open(t, idle * 4, idle, 2)
    const created = []
    for (const source of ['file', 'ldap', 'oidc', 'proxy', 'file', 'ldap'] as const) {
      created.push(await store.create({ name: 'alice', source, groups: [] }))
    }
    for (const c of created) assert.equal((await store.get(c.id, { renew: false }))?.user, 'alice', c.session.identity.source)
    const third = await store.create('alice')
    assert.deepEqual(third.evicted, [created[0]?.session.ref], 'the file user\'s oldest, nobody else\'s')
  })

  test(`${name}: a record written under an id of one's choosing is no session, nor one edited in place`, async (t) => {
    const { store, client, sessionKey } = await open(t)
    const chosen = 'C'.repeat(43)
    const at = hooks.now()
    const forged = { u: 'admin', o: 'oidc', g: ['ops'], c: at, a: at + idle * 4, k: at, i: idle, l: at }
    await client.set(sessionKey(chosen), JSON.stringify(forged), 'PX', idle * 4)
    assert.equal(await store.get(chosen), undefined, 'a record the gateway did not write')
    const { id } = await store.create({ name: 'bob', source: 'ldap', groups: ['readers'] }, undefined, at)
    const stored = await client.get(sessionKey(id)) ?? ''
    await client.set(sessionKey(id), stored.replace('"readers"', '"ops"'), 'PX', idle * 4)
    assert.equal(await store.get(id), undefined, 'its groups edited')
  })

  test(`${name}: a record copied onto another session's key is neither session`, async (t) => {
    const { store, client, sessionKey } = await open(t)
    const alice = await store.create('alice', 'stamp-a')
    const bob = await store.create('bob', 'stamp-b')
    await client.set(sessionKey(bob.id), await client.get(sessionKey(alice.id)) ?? '', 'PX', idle * 4)
    assert.equal(await store.get(bob.id), undefined, 'bob\'s id does not open alice\'s record')
    assert.equal((await store.get(alice.id))?.user, 'alice', 'the original still works')
  })

  test(`${name}: a group check moved into the future is refused, not believed`, async (t) => {
    const { store, client, sessionKey } = await open(t)
    const { id } = await store.create({ name: 'bob', source: 'ldap', groups: ['readers'] }, undefined, hooks.now())
    const stored = await client.get(sessionKey(id)) ?? ''
    const future = stored.replace(/"k":\d+/, `"k":${hooks.now() + 365 * 86_400_000}`)
    assert.notEqual(future, stored)
    await client.set(sessionKey(id), future, 'PX', idle * 4)
    assert.equal(await store.get(id), undefined)
  })

  test(`${name}: PERSIST on a session's key keeps nothing alive: the store ends it by its own clock`, async (t) => {
    const { store, client, sessionKey } = await open(t)
    const { id } = await store.create('alice')
    assert.equal(await client.persist(sessionKey(id)), 1)
    await hooks.fastForward(idle * 0.6)
    assert.equal((await store.get(id, { renew: false }))?.user, 'alice', 'the TTL is not what keeps it')
    assert.equal(await client.persist(sessionKey(id)), 0, 'not renewed by a passive read')
    await hooks.fastForward(idle * 0.6)
    assert.equal(await store.get(id), undefined, 'idle past its timeout')
    assert.equal(await client.exists(sessionKey(id)), 0, 'and deleted')
  })

  test(`${name}: a revocation racing renewals is never lost`, async (t) => {
    const { store } = await open(t)
    const ids = await Promise.all(Array.from({ length: 20 }, async () => (await store.create('alice', 'stamp-a')).id))
    await hooks.fastForward(idle * 0.5)
    const revoking = store.revokeUser('alice')
    await Promise.all(ids.map(async (id) => await store.get(id)))
    assert.equal(await revoking, 20)
    for (const id of ids) assert.equal((await store.get(id, { renew: false }))?.revoked, true)
  })

  test(`${name}: holds 10k sessions, each found by its own id`, async (t) => {
    // Timeouts long enough that creating them all takes less (real time passes for Redis).
    const { store } = await open(t, 3_600_000, 600_000)
    const created = []
    for (let i = 0; i < 10_000; i++) created.push(await store.create(`user${i % 100}`))
    assert.equal(new Set(created.map((c) => c.id)).size, 10_000)
    for (let i = 0; i < created.length; i += 97) assert.equal((await store.get(created[i]?.id ?? ''))?.user, `user${i % 100}`)
  })

  test(`${name}: ping answers`, async (t) => {
    const { store } = await open(t)
    await store.ping()
  })
}
