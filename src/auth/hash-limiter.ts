import { errors } from '../errors.ts'

/** Settings of {@link createHashLimiter}, read for every sign-in so a reload applies. */
export interface HashLimiterSettings {
  /** Password hashes computed at once (each takes a libuv thread and ~50 ms of a core). */
  maxConcurrent: number
  /** Sign-ins allowed to wait for a slot; beyond that they get 503 at once. */
  maxQueued: number
}

/** Runs password hashing with bounded concurrency. */
export interface HashLimiter {
  /** Runs `task` when a slot is free; rejects with 503 `unavailable` when too many are waiting. */
  run<T> (task: () => Promise<T>): Promise<T>
}

/**
 * Bounds concurrent hashing so a sign-in flood cannot starve proxied traffic or the libuv thread pool
 * (unbounded scrypt halved proxied throughput here, docs/LIBRARIES.md); excess sign-ins queue briefly.
 */
export function createHashLimiter (settings: () => HashLimiterSettings): HashLimiter {
  let active = 0
  const waiting: Array<() => void> = []
  const release = (): void => {
    const next = waiting.shift()
    if (next !== undefined) next()
    else active--
  }
  return {
    async run (task) {
      const opts = settings()
      if (active >= opts.maxConcurrent) {
        if (waiting.length >= opts.maxQueued) throw errors.signinBusy()
        await new Promise<void>((resolve) => waiting.push(resolve))
      } else {
        active++
      }
      try {
        return await task()
      } finally {
        release()
      }
    }
  }
}
