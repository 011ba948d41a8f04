import type { Redis } from 'ioredis'
import type { ExpirySweeper } from './expiry-sweeper.ts'
import type { Identity } from '../auth/identity.ts'
import type { GetSessionOptions, SessionStore } from './session-store.ts'
import { hashSessionId, isSessionId, newSessionId, sessionRef } from './session-id.ts'
import { newSessionRecord, sealSessionRecord, sessionFromRecord } from './session-record.ts'
import { deleteStored, read, releaseEvicted, revokeSessions, rewrite, type StoreContext } from './stored-session.ts'
import { unavailableOnFailure } from './store-unavailable.ts'
import type { RecordSigner } from './record-signer.ts'
import { createRecordSwap } from './record-swap.ts'
import { createLiveSessionCount } from './live-session-count.ts'
import { createIdentitySessionIndex } from './identity-session-index.ts'
import { createMintedIndex } from './minted-index.ts'
import type { ReplicaWait } from './wait-for-replicas.ts'
import { createProviderSessionIndex } from './provider-session-index.ts'
import { createSessionEnding } from './session-ending.ts'

/** What the store needs of a client: satisfied by ioredis `Redis` and by ioredis-mock. */
export type SessionRedisClient = Pick<Redis, 'set' | 'get' | 'pttl' | 'pexpire' | 'del' | 'ping' | 'quit' | 'disconnect' |
'exists' | 'multi' | 'zrem' | 'getdel' | 'mget' | 'hmget' | 'hdel' | 'evalsha' | 'eval' | 'duplicate' | 'pipeline' | 'smembers' | 'scan'>

/** Options for {@link createRedisSessionStore}. */
export interface RedisSessionStoreOptions {
  client: SessionRedisClient
  /** Prefix of every key, e.g. `influx-gateway:`. */
  keyPrefix: string
  /** The timeouts, read on every call so a config reload applies to live sessions. */
  timeouts: () => { idleMs: number, absoluteMs: number }
  now: () => number
  /** Signs the records (`session.recordKey`) and checks them when read back. */
  signer: RecordSigner
  /**
   * How many sessions one identity (source and name) may hold, read on every sign-in; past it, a sign-in ends
   * the identity's oldest-created ones. 0 (the default): no cap.
   */
  maxPerIdentity?: () => number
  /** Active expiry, for clients that only expire lazily (the in-process store). */
  sweeper?: ExpirySweeper
  /** Active expiry of the per-identity index's keys, in process (a sweeper of their own: their TTLs are longer). */
  indexSweeper?: ExpirySweeper
  /**
   * Told when a session holding a minted token ends here (destroyed, found expired, its user revoked), with
   * the authorization's id and the session's ref: the token must be deleted in InfluxDB. Sessions that Redis
   * expires silently are found by the next request that presents them, else by
   * {@link SessionStore.heldAuthorizations}.
   */
  onReleased?: (authId: string, ref: string) => void
  /**
   * With replicas (Sentinel): a sign-in's new session is stored only once this many replicas confirm it
   * (`WAIT`, at most `timeoutMs`), else `create` fails with 503. A failover then loses no session whose
   * sign-in was answered.
   */
  waitReplicas?: ReplicaWait
}

/**
 * The session store over a Redis client: one code path for ioredis against Redis and for ioredis-mock
 * in process. Keys are `<prefix>session:<sha256(id)>`, each holding a record signed for its key; the
 * record says when the session was last used and when it ends at the latest, and the gateway decides by
 * those. The key's TTL follows them only so that Redis frees what has ended. Option tokens are uppercase:
 * ioredis-mock ignores `px` silently.
 */
export function createRedisSessionStore (opts: RedisSessionStoreOptions): SessionStore {
  const { client, sweeper, now } = opts
  const keyOf = (id: string): string => `${opts.keyPrefix}session:${hashSessionId(id)}`
  const identities = createIdentitySessionIndex({
    client, keyPrefix: opts.keyPrefix, now, sweeper: opts.indexSweeper, sessionSweeper: sweeper, waitReplicas: opts.waitReplicas
  })
  const minted = createMintedIndex({ client, keyPrefix: opts.keyPrefix, sweeper, onReleased: opts.onReleased })
  const providers = createProviderSessionIndex({ client, keyPrefix: opts.keyPrefix, now, sweeper: opts.indexSweeper })
  // In process the sweeper knows every session; a Redis shared by replicas keeps a count of its own.
  const live = sweeper === undefined ? createLiveSessionCount(client, opts.keyPrefix) : undefined
  const ctx: StoreContext = { ...opts, swap: createRecordSwap(client), live, minted }
  const evict = releaseEvicted(ctx)
  const ending = createSessionEnding({ ctx, listing: { ...opts, client }, identities, providers })
  return guarded({
    ...ending,
    async create (who, stamp, checkedAt, attach, extras = {}) {
      const identity: Identity = typeof who === 'string' ? { name: who, source: 'file', groups: [] } : who
      const id = newSessionId()
      const key = keyOf(id)
      const attached = await attach?.(id, sessionRef(key))
      const createdAt = now()
      const { idleMs, absoluteMs } = opts.timeouts()
      const ttl = Math.min(idleMs, absoluteMs)
      const record = newSessionRecord(identity, { stamp, createdAt, absoluteMs, checkedAt, minted: attached, ...extras })
      if (attached !== undefined) await minted.add(attached.authId, key, absoluteMs)
      // Indexed before it is stored: a back-channel logout arriving meanwhile finds it.
      if (extras.provider !== undefined) await providers.add(extras.provider, identity.name, absoluteMs)
      const stored = { key, record: sealSessionRecord(opts.signer, key, record), ttlMs: ttl, absoluteMs }
      const evicted = await identities.start(identity, stored, opts.maxPerIdentity?.() ?? 0)
      sweeper?.track(key, createdAt + ttl, identity.name, identity.source, attached?.authId)
      await live?.started(key, createdAt + ttl, createdAt)
      const ended = await Promise.all(evicted.map(evict))
      return { id, session: { ...sessionFromRecord(record, key), idleExpiresAt: createdAt + ttl }, evicted: ended }
    },
    async get (id, { renew = true }: GetSessionOptions = {}) {
      if (!isSessionId(id)) return undefined
      return await read(ctx, keyOf(id), renew)
    },
    async update (id, { groups, checkedAt }) {
      if (!isSessionId(id)) return false
      return await rewrite(ctx, keyOf(id), (record) => ({ ...record, g: groups, k: checkedAt }))
    },
    async destroy (id) {
      if (!isSessionId(id)) return false
      const key = keyOf(id)
      const { existed, record } = await deleteStored(ctx, key)
      if (record !== undefined) await identities.remove({ name: record.u, source: record.o ?? 'file' }, key)
      return existed
    },
    revokeUser: async (user) => await revokeSessions(ctx, await identities.keys({ name: user, source: 'file' }), user, minted),
    heldAuthorizations: async (authIds) => await minted.held(authIds),
    ping: async () => { await client.ping() },
    // Metrics only: a Redis that does not answer leaves the gauge without a value rather than fail the scrape.
    count: async () => sweeper?.sessions() ?? await live?.count(now()).catch(() => undefined),
    async close () {
      sweeper?.close()
      opts.indexSweeper?.close()
      await identities.close()
      // quit() waits for Redis; when it is unreachable there is nothing to wait for.
      await client.quit().catch(() => client.disconnect())
    }
  })
}

/** Store failures (Redis down, a timeout) become 503 `unavailable`, never a 500 or a sign-out. */
function guarded (store: SessionStore): SessionStore {
  const wrap = unavailableOnFailure
  return {
    ...store,
    create: wrap(store.create),
    get: wrap(store.get),
    update: wrap(store.update),
    destroy: wrap(store.destroy),
    revokeUser: wrap(store.revokeUser),
    endProviderSessions: wrap(store.endProviderSessions),
    heldAuthorizations: wrap(store.heldAuthorizations),
    list: wrap(store.list),
    endByRef: wrap(store.endByRef),
    endOwner: wrap(store.endOwner),
    endAll: wrap(store.endAll),
    ping: wrap(store.ping)
  }
}
