/** Options for {@link createRevoker}. */
export interface RevokerOptions {
  /**
   * Deletes one authorization; rejects when InfluxDB could not do it, resolves false when it is not one to
   * delete (left alone, never retried).
   */
  remove: (authId: string) => Promise<boolean>
  /** Told of each outcome: deleted, left alone, or a failed attempt (`final` when no retry follows). */
  onRevoked: (authId: string, ref: string, reason: string) => void
  onLeft?: (authId: string, ref: string, reason: string) => void
  onFailed: (authId: string, ref: string, err: unknown, final: boolean) => void
  /** The first retry's delay, ms; each next one doubles, up to {@link MAX_DELAY_MS}. */
  firstDelayMs?: number
}

/** Deletes authorizations in the background, retrying with back-off. */
export interface Revoker {
  /** Deletes `authId` now, and again later while it fails; never rejects, never blocks the caller. */
  revoke (authId: string, ref: string, reason: string): Promise<void>
  /** How many deletions are waiting for a retry. */
  pending (): number
  /** Drops the retries not yet due (the orphan sweep finds what they leave). */
  close (): void
}

const MAX_DELAY_MS = 5 * 60_000
/** After this many attempts the orphan sweep is left to delete it. */
export const MAX_ATTEMPTS = 8

/**
 * A failed deletion is retried after 0.5 s, 1 s, 2 s… (5 min at most between tries), eight tries in all,
 * then left to the orphan sweep; timers are unref'd. One authorization is never queued twice.
 */
export function createRevoker (opts: RevokerOptions): Revoker {
  const firstDelayMs = opts.firstDelayMs ?? 500
  const waiting = new Map<string, NodeJS.Timeout>()
  const inFlight = new Set<string>()
  async function attempt (authId: string, ref: string, reason: string, n: number): Promise<void> {
    waiting.delete(authId)
    inFlight.add(authId)
    try {
      if (await opts.remove(authId)) opts.onRevoked(authId, ref, reason)
      else opts.onLeft?.(authId, ref, reason)
    } catch (err) {
      const final = n + 1 >= MAX_ATTEMPTS
      opts.onFailed(authId, ref, err, final)
      if (!final) {
        const delay = Math.min(MAX_DELAY_MS, firstDelayMs * 2 ** n)
        const timer = setTimeout(() => { attempt(authId, ref, reason, n + 1).catch(() => {}) }, delay)
        timer.unref()
        waiting.set(authId, timer)
      }
    } finally {
      inFlight.delete(authId)
    }
  }
  return {
    async revoke (authId, ref, reason) {
      if (waiting.has(authId) || inFlight.has(authId)) return
      await attempt(authId, ref, reason, 0)
    },
    pending: () => waiting.size,
    close () {
      for (const timer of waiting.values()) clearTimeout(timer)
      waiting.clear()
    }
  }
}
