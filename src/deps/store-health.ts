import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { FaultLog } from '../observability/fault-log.ts'

/** Options for {@link createStoreHealth}. */
export interface StoreHealthOptions {
  client: Pick<Redis, 'ping' | 'set' | 'get'>
  /** A key that lives as long as the store keeps its data (no TTL). */
  markerKey: string
  /** The store's fault episodes: request failures are counted there, and end once the store answers again. */
  faults: FaultLog
  logger: Pick<Logger, 'warn'>
  /** How often to ask the store (PING) while an episode is open, ms. */
  probeMs: number
}

/** What the gateway tells of, and learns from, the shared session store's health. */
export interface StoreHealth {
  /** A request failed on the store (`kind`: a code, never a message): counted, and the store probed until it answers. */
  failed (kind: string): void
  /** The connection is (re)established: checks whether the store lost its data meanwhile (logged once per loss). */
  connected (host: string): Promise<void>
  close (): void
}

/**
 * Failures of the shared store as episodes, and one line when the store comes back empty. A paused Redis
 * keeps its connection, so nothing but a probe notices it answering again: while an episode is open the
 * store is pinged every `probeMs`. A restarted Redis without persistence (or a flushed one) has lost every
 * session, and replicas would otherwise say nothing: a marker key, set once per store lifetime and
 * remembered per replica, is read back at each (re)connection; a different or missing one means the data
 * is gone.
 */
export function createStoreHealth (opts: StoreHealthOptions): StoreHealth {
  const { client, faults } = opts
  let marker: string | undefined
  let probe: NodeJS.Timeout | undefined
  const schedule = (): void => {
    probe = setTimeout(() => {
      client.ping().then(() => faults.succeeded(), () => {}).finally(() => {
        probe = undefined
        if (faults.failing()) schedule()
      })
    }, opts.probeMs).unref()
  }
  return {
    failed (kind) {
      faults.failed(kind)
      if (probe === undefined) schedule()
    },
    async connected (host) {
      try {
        await client.set(opts.markerKey, randomUUID(), 'NX')
        const seen = await client.get(opts.markerKey) ?? undefined
        if (marker !== undefined && seen !== marker) {
          opts.logger.warn({ host }, 'session store emptied (restarted without its data, or flushed): every session and ban is gone')
        }
        marker = seen
      } catch {
        // Lost again before the check: the next connection checks.
      }
    },
    close () {
      clearTimeout(probe)
      probe = undefined
    }
  }
}
