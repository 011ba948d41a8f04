import type { Redis } from 'ioredis'

/** Options for {@link createExpirySweeper}. */
export interface ExpirySweeperOptions {
  /** The in-process client whose keys expire only when read. */
  client: Pick<Redis, 'pttl'>
  now: () => number
  /** How often to sweep, ms (default 1000). */
  intervalMs?: number
  /** Called once for each tracked key with a user found expired (not for keys removed with `forget`). */
  onExpired?: ExpiredListener
  /** Reports a failed sweep (the store stays usable). */
  onError?: (err: unknown) => void
}

/** Told of an expired session: its key, user, source and the authorization minted for it, if any. */
export type ExpiredListener = (key: string, user: string, source?: string, authId?: string) => void

/** Active expiry for stores whose client expires keys only lazily. */
export interface ExpirySweeper {
  /**
   * Watches a key that should be gone by `dueAt` unless renewed; `user` marks a session (audited with its
   * `source`; `authId`: the token minted for it, to delete when it expires).
   */
  track (key: string, dueAt: number, user?: string, source?: string, authId?: string): void
  /** Stops watching a key that was deleted on purpose. */
  forget (key: string): void
  /** Checks the keys that are due now; resolves to how many had expired. */
  sweep (): Promise<number>
  /** How many keys are watched. */
  size (): number
  /** How many of them are sessions (tracked with a user). */
  sessions (): number
  /** Also tells `listener` of each expired session (as the `onExpired` option does). */
  onExpired (listener: ExpiredListener): void
  close (): void
}

/**
 * ioredis-mock frees an expired key only when something reads it, so sessions that are never used
 * again would stay in memory forever. This keeps the tracked keys in a Map ordered by due time
 * (insertion order: every session gets the same idle timeout) and, on each sweep, reads only the
 * keys that are due: reading frees the expired ones, and renewed ones are re-queued at their new
 * due time. No sweep walks the whole keyspace.
 */
export function createExpirySweeper (opts: ExpirySweeperOptions): ExpirySweeper {
  const due = new Map<string, { dueAt: number, user?: string, source?: string, authId?: string }>()
  const listeners = opts.onExpired === undefined ? [] : [opts.onExpired]
  let sessions = 0
  let sweeping: Promise<number> | undefined
  const remove = (key: string): void => {
    const entry = due.get(key)
    if (entry === undefined) return
    due.delete(key)
    if (entry.user !== undefined) sessions--
  }
  const add = (key: string, dueAt: number, user?: string, source?: string, authId?: string): void => {
    remove(key)
    due.set(key, { dueAt, user, source, authId })
    if (user !== undefined) sessions++
  }

  async function sweepOnce (): Promise<number> {
    const now = opts.now()
    let expired = 0
    let read = 0
    for (const [key, entry] of due) {
      if (entry.dueAt > now) break
      // ioredis-mock answers without I/O: give the event loop a turn now and then on a long sweep.
      if (++read % 500 === 0) await new Promise((resolve) => setImmediate(resolve))
      remove(key)
      const ttl = await opts.client.pttl(key) // reading frees an expired key
      if (ttl >= 0) {
        add(key, now + ttl, entry.user, entry.source, entry.authId)
      } else if (ttl === -2) {
        expired++
        if (entry.user !== undefined) for (const listener of listeners) listener(key, entry.user, entry.source, entry.authId)
      }
    }
    return expired
  }

  const sweep = (): Promise<number> => {
    sweeping ??= sweepOnce().finally(() => { sweeping = undefined })
    return sweeping
  }
  const timer = setInterval(() => { sweep().catch((err: unknown) => opts.onError?.(err)) }, opts.intervalMs ?? 1000)
  timer.unref()

  return {
    track: add,
    forget: remove,
    sweep,
    size: () => due.size,
    sessions: () => sessions,
    onExpired: (listener) => { listeners.push(listener) },
    close: () => clearInterval(timer)
  }
}
