/**
 * The index of minted tokens in process (src/session/minted-index.ts over ioredis-mock): what it reads on the
 * request and sign-in paths holds one session's entry at most, however many sessions hold a token (ioredis-mock
 * copies a whole hash on every command, so an index in one structure made every junk cookie pay for every
 * session); a session found gone releases its token once, however many requests find it; `held` tells live
 * tokens from orphans and forgets the entries of sessions that are gone.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Redis } from 'ioredis'
import { createExpirySweeper } from '../../src/session/expiry-sweeper.ts'
import { createMemoryRedisClient } from '../../src/session/memory-redis-client.ts'
import { createMintedIndex, type MintedIndex } from '../../src/session/minted-index.ts'
import { hashSessionId, newSessionId } from '../../src/session/session-id.ts'

const PREFIX = 'influx-gateway:'
const LIVES_MS = 3_600_000
const sessionKey = (): string => `${PREFIX}session:${hashSessionId(newSessionId())}`

/** The client, recording the keys every command (also inside a MULTI or pipeline) names first. */
function recording (client: Redis): { client: Redis, touched: Set<string> } {
  const touched = new Set<string>()
  const wrap = <T extends object>(target: T): T => new Proxy(target, {
    get (obj, prop, receiver) {
      const value: unknown = Reflect.get(obj, prop, receiver)
      if (typeof value !== 'function' || typeof prop !== 'string' || prop === 'exec') return value
      return (...args: unknown[]) => {
        if (typeof args[0] === 'string') touched.add(args[0])
        const out: unknown = value.apply(obj, args)
        if (prop === 'multi' || prop === 'pipeline') return wrap(out as object)
        return out === obj ? receiver : out
      }
    }
  })
  return { client: wrap(client), touched }
}

/** How many entries a key holds: members of a hash, set or sorted set; 1 for a string; 0 when there is none. */
async function entries (client: Redis, key: string): Promise<number> {
  const type = await client.type(key)
  if (type === 'hash') return await client.hlen(key)
  if (type === 'set') return await client.scard(key)
  if (type === 'zset') return await client.zcard(key)
  return type === 'none' ? 0 : 1
}

interface Fixture { index: MintedIndex, client: Redis, released: Array<[string, string]>, touched: Set<string> }

function open (t: { after: (fn: () => Promise<unknown>) => void }): Fixture {
  const raw = createMemoryRedisClient()
  t.after(async () => await raw.quit())
  const { client, touched } = recording(raw)
  const released: Array<[string, string]> = []
  const index = createMintedIndex({ client, keyPrefix: PREFIX, onReleased: (authId, ref) => released.push([authId, ref]) })
  return { index, client: raw, released, touched }
}

test('an unknown cookie and a mint sign-in read only entries of their own session, however many sessions hold tokens', async (t) => {
  const { index, client, released, touched } = open(t)
  for (let i = 0; i < 200; i++) {
    const key = sessionKey()
    await client.set(key, 'record')
    await index.add(`auth-${i}`, key, LIVES_MS)
  }
  touched.clear()
  await index.released(sessionKey()) // a request with a well-formed session id no session has (expired, or a guess)
  assert.deepEqual(released, [])
  for (const key of touched) assert.ok(await entries(client, key) <= 1, `an unknown cookie read ${key}, of ${await entries(client, key)} entries`)

  touched.clear()
  await index.add('auth-new', sessionKey(), LIVES_MS) // a sign-in that minted a token
  assert.ok(touched.size > 0)
  for (const key of touched) assert.ok(await entries(client, key) <= 1, `a sign-in wrote ${key}, of ${await entries(client, key)} entries`)
})

test('a session found gone releases its token once, however many requests find it at once', async (t) => {
  const { index, released } = open(t)
  const key = sessionKey()
  await index.add('auth-1', key, LIVES_MS)
  await Promise.all(Array.from({ length: 8 }, async () => await index.released(key)))
  assert.deepEqual(released, [['auth-1', key.slice(-43, -31)]])
  assert.deepEqual(await index.held(['auth-1']), new Set(), 'forgotten: an orphan for the sweep if it were still there')
})

test('a session that ends releases its token and forgets both entries: a later request finds nothing to release', async (t) => {
  const { index, client, released } = open(t)
  const key = sessionKey()
  await client.set(key, 'record')
  await index.add('auth-1', key, LIVES_MS)
  index.release('auth-1', key)
  index.release(undefined, sessionKey()) // a session without a token: nothing to tell
  await client.del(key)
  await index.released(key)
  assert.deepEqual(released, [['auth-1', key.slice(-43, -31)]])
  assert.deepEqual(await client.keys(`${PREFIX}minted*`), [])
})

test('held: tokens of live sessions; those whose session is gone, or that no entry names, are not, and their entries go', async (t) => {
  const { index, client, released } = open(t)
  const [live, gone] = [sessionKey(), sessionKey()]
  await client.set(live, 'record')
  await index.add('auth-live', live, LIVES_MS)
  await index.add('auth-gone', gone, LIVES_MS)
  const ids = ['auth-live', 'auth-gone', 'auth-unknown', ...Array.from({ length: 1500 }, (_, i) => `auth-other-${i}`)]
  assert.deepEqual(await index.held(ids), new Set(['auth-live']))
  await index.released(gone)
  assert.deepEqual(released, [], 'the sweep deletes the orphan: no request releases it again')
  assert.deepEqual(await index.held(['auth-live', 'auth-gone']), new Set(['auth-live']))
  assert.equal((await client.keys(`${PREFIX}minted*`)).length, 2, 'the live session\'s two entries')
})

test('held: when the store does not say whether a session is live, the sweep fails rather than count its token an orphan', async (t) => {
  const raw = createMemoryRedisClient()
  t.after(async () => await raw.quit())
  const live = sessionKey()
  await raw.set(live, 'record')
  // The liveness check's transaction answers with an error for each command, as a Redis in trouble may.
  const client = new Proxy(raw, {
    get (obj, prop, receiver) {
      if (prop !== 'multi') return Reflect.get(obj, prop, receiver)
      return () => {
        const queued: string[] = []
        const tx = { exists: (key: string) => { queued.push(key); return tx }, exec: async () => queued.map(() => [new Error('LOADING'), null]) }
        return tx
      }
    }
  })
  await createMintedIndex({ client: raw, keyPrefix: PREFIX }).add('auth-live', live, LIVES_MS)
  const index = createMintedIndex({ client, keyPrefix: PREFIX })
  await assert.rejects(index.held(['auth-live']), /did not answer/)
  assert.equal(await raw.get(`${PREFIX}minted:auth-live`), live, 'its entry is kept for the next sweep')
})

test('held: sessions an earlier version indexed in one hash keep their tokens through an upgrade; the hash empties as they end', async (t) => {
  const { index, client } = open(t)
  const [live, gone] = [sessionKey(), sessionKey()]
  await client.set(live, 'record')
  await client.hset(`${PREFIX}minted`, 'auth-old', live, live, 'auth-old', 'auth-old-gone', gone, gone, 'auth-old-gone')
  await index.add('auth-new', sessionKey(), LIVES_MS)
  assert.deepEqual(await index.held(['auth-old', 'auth-old-gone', 'auth-new']), new Set(['auth-old']))
  assert.deepEqual(await client.hgetall(`${PREFIX}minted`), { 'auth-old': live, [live]: 'auth-old' })
})

test('the entries live at least as long as their session can, so no live session\'s token looks orphaned', async (t) => {
  const { index, client } = open(t)
  const key = sessionKey()
  await index.add('auth-1', key, LIVES_MS)
  const keys = await client.keys(`${PREFIX}minted*`)
  assert.equal(keys.length, 2)
  for (const k of keys) assert.ok(await client.pttl(k) >= LIVES_MS - 1000, `${k} expires with or after the session`)
})

test('in process, a session the sweeper finds expired releases its token once; its cookie coming back releases nothing more', async (t) => {
  const client = createMemoryRedisClient()
  t.after(async () => await client.quit())
  let now = Date.now()
  const sweeper = createExpirySweeper({ client, now: () => now })
  t.after(() => sweeper.close())
  const released: string[] = []
  const index = createMintedIndex({ client, keyPrefix: PREFIX, sweeper, onReleased: (authId) => released.push(authId) })
  const key = sessionKey()
  await index.add('auth-1', key, LIVES_MS)
  sweeper.track(key, now + 1, 'alice', 'file', 'auth-1') // the session's key is gone by then, as if expired
  now += 10
  assert.equal(await sweeper.sweep(), 1)
  await index.released(key)
  assert.deepEqual(released, ['auth-1'])
})
