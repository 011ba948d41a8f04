import type { Redis } from 'ioredis'
import type { ExpirySweeper } from './expiry-sweeper.ts'
import { sessionRef } from './session-id.ts'

/** What the index needs of a client: satisfied by ioredis `Redis` and by ioredis-mock. */
export type MintedIndexClient = Pick<Redis, 'getdel' | 'del' | 'mget' | 'multi' | 'hmget' | 'hdel'>

/** Which session key holds each minted authorization, so a sweep can tell orphans from live tokens. */
export interface MintedIndex {
  /** The session under `key`, which lives `livesMs` at most (its absolute timeout), holds `authId`. */
  add (authId: string, key: string, livesMs: number): Promise<void>
  /** The session stored under `key` that held `authId` (if any) has ended: forget it, and tell `onReleased`. */
  release (authId: string | undefined, key: string): void
  /**
   * A request found no session under `key` (it expired, in Redis or in process): releases the token it
   * held, when the index knows one; once, however many requests (on however many replicas) find it gone.
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
 * How much longer than its session an entry lives: it is written before the session is, and an entry gone
 * while its session lives would have the sweep delete a live token.
 */
const OUTLIVE_MS = 60_000
/** Authorizations {@link MintedIndex.held} asks Redis about per round trip (the sweep passes all of them). */
const BATCH = 500

/**
 * The index as two string keys per session, each with a TTL past the session's latest end:
 * `<prefix>minted:<authorization id>` → session key, and `<prefix>minted-by:<SHA-256 of the session id>`
 * (the end of its key) → authorization id. Neither is a secret (the key is a hash of the session id). One key per entry, never one
 * structure for all: ioredis-mock copies a whole hash on every command, and a request presenting an unknown
 * session id reads the index. Entries of sessions Redis expired silently are dropped by
 * {@link MintedIndex.released} when a request presents one, else by {@link MintedIndex.held}, which the
 * periodic sweep calls, else expire. Earlier versions kept the index in one hash, `<prefix>minted`: only
 * `held` still reads it.
 */
export function createMintedIndex (opts: MintedIndexOptions): MintedIndex {
  const { client, keyPrefix } = opts
  const byAuth = (authId: string): string => `${keyPrefix}minted:${authId}`
  // The session key ends with the SHA-256 of the session id (base64url, 43 characters).
  const byKey = (key: string): string => `${keyPrefix}minted-by:${key.slice(-43)}`
  const legacyKey = `${keyPrefix}minted`
  const release = (authId: string | undefined, key: string): void => {
    if (authId === undefined) return
    client.del(byAuth(authId), byKey(key)).catch(() => {}) // a leftover entry is dropped by the next sweep, or expires
    opts.onReleased?.(authId, sessionRef(key))
  }
  // In process, an expired session's token is released as the sweeper finds it.
  opts.sweeper?.onExpired((key, _user, _source, authId) => release(authId, key))
  return {
    async add (authId, key, livesMs) {
      const ttl = livesMs + OUTLIVE_MS
      await client.multi().set(byAuth(authId), key, 'PX', ttl).set(byKey(key), authId, 'PX', ttl).exec()
    },
    release,
    async released (key) {
      // SECURITY: one key read, whatever the number of sessions: junk cookies cannot make every request pay
      // for every session holding a token.
      const authId = await client.getdel(byKey(key))
      // SECURITY: the token of an expired session goes when its cookie comes back, not at the next sweep.
      // Whoever takes the entry releases it: two requests (or replicas) never release it twice.
      if (authId === null) return
      opts.sweeper?.forget(key)
      release(authId, key)
    },
    async held (authIds) {
      const held = new Set<string>()
      for (let i = 0; i < authIds.length; i += BATCH) await checkHeld(authIds.slice(i, i + BATCH), held)
      return held
    }
  }

  /**
   * Adds to `held` those of `authIds` whose session is stored; forgets the entries of those whose session is
   * gone. Sessions an earlier version made are found in the one hash it kept, so an upgrade (or replicas of
   * both versions on one Redis) does not have their live tokens swept; that hash empties as they end.
   */
  async function checkHeld (authIds: readonly string[], held: Set<string>): Promise<void> {
    const keys = await client.mget(...authIds.map(byAuth))
    const unindexed = authIds.filter((_, i) => keys[i] === null)
    const older = unindexed.length === 0 ? [] : await client.hmget(legacyKey, ...unindexed)
    const entries = [
      ...authIds.map((authId, i) => ({ authId, key: keys[i] ?? null, legacy: false })),
      ...unindexed.map((authId, i) => ({ authId, key: older[i] ?? null, legacy: true }))
    ].filter((e): e is { authId: string, key: string, legacy: boolean } => e.key !== null)
    if (entries.length === 0) return
    const check = client.multi()
    for (const { key } of entries) check.exists(key)
    const alive = await check.exec()
    // SECURITY: a check that did not answer is no proof that a session is gone: the sweep fails (and runs
    // again later) rather than delete a live session's token.
    const failed = alive === null || alive.some(([err]) => err !== null)
    if (failed) throw new Error('the session store did not answer which sessions are live')
    const gone: string[] = []
    const goneOlder: string[] = []
    entries.forEach(({ authId, key, legacy }, i) => {
      if (Number(alive[i]?.[1] ?? 0) === 1) held.add(authId)
      else if (legacy) goneOlder.push(authId, key)
      else gone.push(byAuth(authId), byKey(key))
    })
    if (gone.length > 0) await client.del(...gone)
    if (goneOlder.length > 0) await client.hdel(legacyKey, ...goneOlder)
  }
}
