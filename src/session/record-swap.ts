import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'

/** What a swap needs of a client: ioredis `Redis` against Redis, or ioredis-mock (which runs Lua too). */
export type RecordSwapClient = Pick<Redis, 'evalsha' | 'eval'>

/**
 * Replaces the whole value under `key` with `next` (living `ttlMs` from now), or deletes it when `next`
 * is undefined, only if the value there is still exactly `expected`; resolves to whether it did.
 */
export type RecordSwap = (key: string, expected: string, next: string | undefined, ttlMs?: number) => Promise<boolean>

/**
 * Compare-and-set in one round trip: a Lua script that compares the whole stored value and then sets or
 * deletes it, atomically in Redis. A missing key never equals a string, so nothing ended is brought back.
 */
const SWAP_SCRIPT = [
  "if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end",
  "if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end",
  'return 1'
].join('\n')
/** The script's SHA-1, by which it is sent (and by which the in-process client knows it). */
export const SWAP_SHA = createHash('sha1').update(SWAP_SCRIPT).digest('hex')

/**
 * The swap over `client`. The script is sent by its SHA-1 (`EVALSHA`), and whole only when Redis does not
 * know it yet (`NOSCRIPT`: a fresh or restarted Redis).
 */
export function createRecordSwap (client: RecordSwapClient): RecordSwap {
  return async (key, expected, next, ttlMs = 1) => {
    const args = [key, expected, next ?? '', Math.max(1, Math.ceil(ttlMs))] as const
    const swapped = await client.evalsha(SWAP_SHA, 1, ...args).catch(async (err: unknown) => {
      if (err instanceof Error && err.message.startsWith('NOSCRIPT')) return await client.eval(SWAP_SCRIPT, 1, ...args)
      throw err
    })
    return swapped === 1
  }
}
