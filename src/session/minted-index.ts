import type { Redis } from 'ioredis'
import type { ExpirySweeper } from './expiry-sweeper.ts'
import { sessionRef } from './session-id.ts'

/** What the index needs of a client: satisfied by ioredis `Redis` and by ioredis-mock. */
export type MintedIndexClient = Pick<Redis, 'hset' | 'hdel' | 'hget' | 'hmget' | 'multi'>

/** Which session key holds each minted authorization, so a sweep can tell orphans from live tokens. */
export interface MintedIndex {
  add (authId: string, key: string): Promise<void>
  /** The session stored under `key` that held `authId` (if any) has ended: forget it, and tell `onReleased`. */
  release (authId: string | undefined, key: string): void
  /**
   * A request found no session under `key` (it expired, in Redis or in process): releases the token it
   * held, when the index knows one; once, however many requests find it gone.
   */
  released (key: string): Promise<void>
  /** The authorizations among `authIds` whose session is still stored; forgets the others. */
  held (authIds: readonly string[]): Promise<Set<string>>
}

/** Options for {@link createMintedIndex}. */
export interface MintedIndexOptions {
  client: MintedIndexClient
  keyPrefix: string
  sweeper?: ExpirySweeper
  /** Told of each authorization whose session ended, with the session's ref. */
  onReleased?: (authId: string, ref: string) => void
}

/**
 * The index as one Redis hash, `<prefix>minted`: authorization id → session key, and session key →
 * authorization id. Neither is a secret (the key is a hash of the session id). Entries of sessions Redis
 * expired silently are dropped by {@link MintedIndex.released} when a request presents one, else by
 * {@link MintedIndex.held}, which the periodic sweep calls.
 */
export function createMintedIndex (opts: MintedIndexOptions): MintedIndex {
  const { client, keyPrefix } = opts
  const indexKey = `${keyPrefix}minted`
  const release = (authId: string | undefined, key: string): void => {
    if (authId === undefined) return
    client.hdel(indexKey, authId, key).catch(() => {}) // a leftover entry is dropped by the next sweep
    opts.onReleased?.(authId, sessionRef(key))
  }
  // In process, an expired session's token is released as the sweeper finds it.
  opts.sweeper?.onExpired((key, _user, _source, authId) => release(authId, key))
  return {
    async add (authId, key) {
      await client.hset(indexKey, authId, key, key, authId)
    },
    release,
    async released (key) {
      const authId = await client.hget(indexKey, key)
      // SECURITY: the token of an expired session goes when its cookie comes back, not at the next sweep.
      // Whoever removes the entries releases it: two requests (or the sweeper) never release it twice.
      if (authId === null || await client.hdel(indexKey, key, authId) === 0) return
      opts.sweeper?.forget(key)
      opts.onReleased?.(authId, sessionRef(key))
    },
    async held (authIds) {
      if (authIds.length === 0) return new Set()
      const keys = await client.hmget(indexKey, ...authIds)
      const check = client.multi()
      for (const key of keys) check.exists(key ?? `${indexKey}:none`)
      const alive = await check.exec()
      const held = new Set<string>()
      const gone: string[] = []
      authIds.forEach((authId, i) => {
        const key = keys[i] ?? null
        if (key !== null && Number(alive?.[i]?.[1] ?? 0) === 1) held.add(authId)
        else if (key !== null) gone.push(authId, key)
      })
      if (gone.length > 0) await client.hdel(indexKey, ...gone)
      return held
    }
  }
}
