import type { Redis } from 'ioredis'
import type { RecordSigner } from './record-signer.ts'
import { idleEndOf, openSessionRecord, sessionFromRecord, type SessionRecord } from './session-record.ts'
import type { Session, SessionOwner } from './session-store.ts'

/** What listing needs of a client: satisfied by ioredis `Redis` and by ioredis-mock. */
export type ListingClient = Pick<Redis, 'scan' | 'mget'>

/** What reading listed records needs: the signer, the live timeouts and the clock. */
export interface ListingContext {
  client: ListingClient
  keyPrefix: string
  signer: RecordSigner
  timeouts: () => { idleMs: number, absoluteMs: number }
  now: () => number
}

/** A session key's tail: the id's SHA-256, base64url (src/session/session-id.ts). */
const SESSION_KEY_TAIL = /session:[A-Za-z0-9_-]{43}$/

/** Keys asked for per SCAN step and per MGET: one round trip each, never the whole keyspace at once. */
export const BATCH = 500

/** A stored session as listed: its key, its record and the session it describes. */
export interface ListedRecord { key: string, record: SessionRecord, session: Session }

/**
 * Walks every session key under the prefix with SCAN (`MATCH <prefix>session:*`, {@link BATCH} per step),
 * handing each batch to `each` until it resolves false or the walk ends. SCAN never blocks Redis the way
 * `KEYS` does, and may hand a key twice (callers tolerate it: ending or listing a key twice changes nothing).
 */
export async function scanSessionKeys (
  ctx: Pick<ListingContext, 'client' | 'keyPrefix'>, each: (keys: string[]) => Promise<boolean>
): Promise<void> {
  const match = `${ctx.keyPrefix.replace(/[*?[\]\\]/g, '\\$&')}session:*`
  let cursor = '0'
  do {
    const [next, keys] = await ctx.client.scan(cursor, 'MATCH', match, 'COUNT', BATCH)
    cursor = next
    const sessions = keys.filter((key) => key.length === ctx.keyPrefix.length + 51 && SESSION_KEY_TAIL.test(key))
    if (sessions.length > 0 && !await each(sessions)) return
  } while (cursor !== '0')
}

/**
 * The live sessions stored under `keys` (MGET in batches), in the order given: records that verify, are not
 * revoked, and have not passed either timeout by the gateway's clock (as `get` decides them).
 */
export async function readLive (ctx: ListingContext, keys: readonly string[]): Promise<ListedRecord[]> {
  const listed: ListedRecord[] = []
  const t = ctx.now()
  const timeouts = ctx.timeouts()
  for (let i = 0; i < keys.length; i += BATCH) {
    const batch = keys.slice(i, i + BATCH)
    const raws = await ctx.client.mget(...batch)
    batch.forEach((key, j) => {
      const record = openSessionRecord(ctx.signer, key, raws[j] ?? null)
      if (record === undefined || record.r === 1) return
      const idleExpiresAt = idleEndOf(record, timeouts)
      if (t >= idleExpiresAt) return
      listed.push({ key, record, session: { ...sessionFromRecord(record, key), idleExpiresAt } })
    })
  }
  return listed
}

/** Whether a record belongs to `owner`: its name and its source (a name from another source is another person). */
export function ownedBy (record: SessionRecord, owner: SessionOwner): boolean {
  return record.u === owner.name && (record.o ?? 'file') === owner.source
}
