import { errors } from '../errors.ts'

/** Settings of {@link createWorkLimiter}, read for every task so a reload applies. */
export interface WorkLimiterSettings {
  /** Tasks run at once (a password hash takes a libuv thread and ~50 ms of a core; a bind, a directory connection). */
  maxConcurrent: number
  /** Sign-ins allowed to wait for a slot; beyond that they get 503 at once. */
  maxQueued: number
  /** Longest wait for a slot, ms; a sign-in still waiting then gets 503 instead of being hashed late. */
  maxWaitMs: number
}

/** Runs a sign-in's costly work (password hashes, directory binds) with bounded concurrency. */
export interface WorkLimiter {
  /**
   * Runs `task` when a slot is free; rejects with 503 `unavailable` (`signinBusy`) when too many are
   * waiting, or when no slot came free within `maxWaitMs`.
   */
  run<T> (task: () => Promise<T>): Promise<T>
}

interface Waiter { start: () => void, timer: NodeJS.Timeout }

/**
 * Bounds concurrent work of one kind (password hashing; directory binds have a limiter of their own) so
 * a sign-in flood cannot starve proxied traffic or the libuv thread pool
 * (unbounded scrypt halved proxied throughput here, docs/LIBRARIES.md); excess sign-ins queue briefly.
 * SECURITY: the queue is bounded in length and in time: under a flood from many addresses a sign-in
 * is answered 503 with `Retry-After` after `maxWaitMs` at most, never held for minutes and hashed after
 * its client gave up.
 */
export function createWorkLimiter (settings: () => WorkLimiterSettings): WorkLimiter {
  let active = 0
  const waiting: Waiter[] = []
  const release = (): void => {
    const next = waiting.shift()
    if (next === undefined) {
      active--
      return
    }
    clearTimeout(next.timer)
    next.start() // the slot passes straight on
  }
  const slot = (opts: WorkLimiterSettings): Promise<void> => new Promise((resolve, reject) => {
    const waiter: Waiter = {
      start: resolve,
      timer: setTimeout(() => {
        waiting.splice(waiting.indexOf(waiter), 1)
        reject(errors.signinBusy())
      }, opts.maxWaitMs)
    }
    waiting.push(waiter)
  })
  return {
    async run (task) {
      const opts = settings()
      if (active >= opts.maxConcurrent) {
        if (waiting.length >= opts.maxQueued) throw errors.signinBusy()
        await slot(opts)
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
