import type { Redis } from 'ioredis'

/** What the index needs of a client: satisfied by ioredis `Redis` and by ioredis-mock. */
export type MintedIndexClient = Pick<Redis, 'hset' | 'hdel' | 'hmget' | 'multi'>

/** Which session key holds each minted authorization, so a sweep can tell orphans from live tokens. */
export interface MintedIndex {
  add (authId: string, key: string): Promise<void>
  remove (authId: string): Promise<void>
  /** The authorizations among `authIds` whose session is still stored; forgets the others. */
  held (authIds: readonly string[]): Promise<Set<string>>
}

/**
 * The index as one Redis hash, `<prefix>minted`: authorization id → session key. Neither is a secret
 * (the key is a hash of the session id). Entries of sessions Redis expired silently are dropped by
 * {@link MintedIndex.held}, which the periodic sweep calls.
 */
export function createMintedIndex ({ client, keyPrefix }: { client: MintedIndexClient, keyPrefix: string }): MintedIndex {
  const indexKey = `${keyPrefix}minted`
  return {
    async add (authId, key) {
      await client.hset(indexKey, authId, key)
    },
    async remove (authId) {
      await client.hdel(indexKey, authId)
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
        if (keys[i] !== null && Number(alive?.[i]?.[1] ?? 0) === 1) held.add(authId)
        else if (keys[i] !== null) gone.push(authId)
      })
      if (gone.length > 0) await client.hdel(indexKey, ...gone)
      return held
    }
  }
}
