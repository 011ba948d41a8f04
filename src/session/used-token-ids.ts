import { hash } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { ExpirySweeper } from './expiry-sweeper.ts'

/** What the register needs of a client: satisfied by ioredis `Redis` and by ioredis-mock. */
export type UsedTokenIdsClient = Pick<Redis, 'set' | 'del'>

/** Options for {@link createUsedTokenIds}. */
export interface UsedTokenIdsOptions {
  client: UsedTokenIdsClient
  /** Prefix of every key, e.g. `influx-gateway:`. */
  keyPrefix: string
  now: () => number
  /** In process: active expiry of the register's keys (ioredis-mock frees an expired key only when it is read). */
  sweeper?: ExpirySweeper
}

/**
 * The ids (`jti`) of tokens that may be used once (back-channel logout tokens), per issuer, in the session
 * store: every replica sharing it sees the same register.
 */
export interface UsedTokenIds {
  /** Records `jti` of `issuer` as used for `ttlMs`; resolves false when it already was (a replay). */
  firstUse (issuer: string, jti: string, ttlMs: number): Promise<boolean>
  /** Forgets a use whose work then failed, so that the sender's retry is not taken for a replay. */
  forget (issuer: string, jti: string): Promise<void>
}

/**
 * One key per id, `<prefix>used-jti:<sha256(issuer NUL jti)>`, written with `SET NX` and a TTL: atomic in
 * Redis across replicas, and the same code path in process. The TTL must outlast the time the token is
 * otherwise accepted; after that its age refuses it anyway.
 */
export function createUsedTokenIds (opts: UsedTokenIdsOptions): UsedTokenIds {
  const { client, keyPrefix } = opts
  const keyOf = (issuer: string, jti: string): string => `${keyPrefix}used-jti:${hash('sha256', `${issuer}\0${jti}`, 'base64url')}`
  return {
    async firstUse (issuer, jti, ttlMs) {
      const key = keyOf(issuer, jti)
      // Option tokens are uppercase: ioredis-mock ignores `px` silently.
      const set = await client.set(key, '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')
      if (set === null) return false
      opts.sweeper?.track(key, opts.now() + ttlMs)
      return true
    },
    async forget (issuer, jti) {
      const key = keyOf(issuer, jti)
      opts.sweeper?.forget(key)
      await client.del(key)
    }
  }
}
