import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Config } from '../config/schema.ts'
import { createFaultLog } from '../observability/fault-log.ts'
import { createExpirySweeper, type ExpirySweeper } from '../session/expiry-sweeper.ts'
import { createMemoryRedisClient } from '../session/memory-redis-client.ts'
import { createRedisClient, type RedisSentinelTarget, type RedisUrlTarget } from '../session/redis-client.ts'
import { sessionRef } from '../session/session-id.ts'
import type { ReplicaWait } from '../session/wait-for-replicas.ts'
import { createStoreHealth, type StoreHealth } from './store-health.ts'
import { audit } from '../observability/audit.ts'

/** At most one line per this long about a failing store (a summary of the failures), ms. */
export const FAULT_LOG_INTERVAL_MS = 10_000

/** How often a failing store is asked whether it answers again, ms. */
const STORE_PROBE_MS = 1000

/** The client the session store and the sign-in throttle share, and what the in-process one needs besides. */
export interface StoreClient {
  client: Redis
  /** Active expiry of sessions, in process only. */
  sweeper?: ExpirySweeper
  /** Active expiry of the throttle's counters, in process only. */
  throttleSweeper?: ExpirySweeper
  /** Active expiry of sign-in flows at an identity provider, in process only. */
  flowSweeper?: ExpirySweeper
  /** Active expiry of the per-address counts of pending sign-in flows, in process only. */
  pendingFlowSweeper?: ExpirySweeper
  /** Active expiry of the per-identity session index's keys, in process only. */
  indexSweeper?: ExpirySweeper
  /** Active expiry of the used logout token ids (back-channel logout), in process only. */
  usedTokenSweeper?: ExpirySweeper
  keyPrefix: string
  /**
   * With Sentinel: a new session counts as stored only once this many replicas have it (`WAIT`), within
   * `timeoutMs`, so a failover cannot lose a session whose sign-in was answered.
   */
  waitReplicas?: ReplicaWait
  /** Where requests that failed on the store are reported: logged as episodes, with the store's comebacks. */
  health: Pick<StoreHealth, 'failed' | 'close'>
}

/**
 * The store's client: ioredis-mock in process (with the active expiry it lacks), or ioredis against
 * the Redis the replicas share (which expires keys itself). The store code is the same for both.
 * Part of `createDeps` (src/deps.ts), the only module that picks implementations and imports this.
 */
export function createStoreClient (config: Config, logger: Logger, now: () => number): StoreClient {
  const redis = config.session.redis
  const faults = createFaultLog({ logger, now, what: 'session store requests', intervalMs: FAULT_LOG_INTERVAL_MS })
  if (config.session.store === 'redis' && redis !== undefined) {
    const client = createRedisClient({
      ...storeTarget(redis),
      connectTimeoutMs: redis.connectTimeout,
      commandTimeoutMs: redis.commandTimeout,
      onState: (state, detail) => {
        if (state !== 'connected') return logger.warn(detail, 'session store unavailable (redis); retrying, requests needing it get 503')
        logger.info(detail, 'session store connected (redis)')
        health.connected(detail.host).catch(() => {})
      }
    })
    const health = createStoreHealth({ client, markerKey: `${redis.keyPrefix}store-marker`, faults, logger, probeMs: STORE_PROBE_MS })
    const waitReplicas = redis.sentinels === undefined ? undefined : { replicas: 1, timeoutMs: replicaWaitMs(redis.commandTimeout) }
    return { client, keyPrefix: redis.keyPrefix, health, ...(waitReplicas === undefined ? {} : { waitReplicas }) }
  }
  const client = createMemoryRedisClient()
  const onError = (err: unknown): void => logger.warn({ err }, 'session expiry sweep failed')
  const sweeper = createExpirySweeper({
    client,
    now,
    onExpired: (key, user, source) => {
      audit(logger, 'sessionEnded', { user, source, session: sessionRef(key), reason: 'expired' })
    },
    onError
  })
  // Throttle keys live minutes, sessions longer, sign-in flows one lifetime, the session index an absolute
  // timeout: each sweeper's queue stays in due order.
  const throttleSweeper = createExpirySweeper({ client, now, onError })
  const flowSweeper = createExpirySweeper({ client, now, onError })
  const pendingFlowSweeper = createExpirySweeper({ client, now, onError })
  const indexSweeper = createExpirySweeper({ client, now, onError })
  const usedTokenSweeper = createExpirySweeper({ client, now, onError })
  // In process the store fails only with the process: nothing to probe.
  const health = { failed: (kind: string) => faults.failed(kind), close: () => {} }
  const sweepers = { sweeper, throttleSweeper, flowSweeper, pendingFlowSweeper, indexSweeper, usedTokenSweeper }
  return { client, ...sweepers, keyPrefix: 'influx-gateway:', health }
}

/**
 * `WAIT`'s own timeout within the command timeout: Redis answers "not yet" (fewer replicas) before the
 * client gives up on the command, so the connection is not left blocked by a command nobody awaits. Redis
 * looks at blocked commands' timeouts about every 100 ms (`hz 10`): the margin is 150 ms, or half the
 * command timeout when that is shorter.
 */
function replicaWaitMs (commandTimeoutMs: number): number {
  return Math.max(1, Math.floor(commandTimeoutMs / 2), commandTimeoutMs - 150)
}

/** One Redis by URL, or the Sentinels and what they need (the schema requires `url`, or `sentinels` with `name`). */
function storeTarget (redis: NonNullable<Config['session']['redis']>): RedisUrlTarget | RedisSentinelTarget {
  if (redis.sentinels === undefined) return { url: redis.url ?? '' }
  const { sentinels, name = '', password, sentinelPassword } = redis
  return { sentinels, name, password, sentinelPassword }
}
