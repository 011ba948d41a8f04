import { errors } from '../errors.ts'
import type { Identity } from './identity.ts'
import type { IdentitySource } from './identity-source.ts'

/** What a session's identity should be now. */
export type RefreshResult =
  /** Not due, or the source failed and the last-known groups still serve: use the identity as stored. */
  | { kind: 'current' }
  /** Read again now: store it with the time. */
  | { kind: 'updated', identity: Identity, checkedAt: number }
  /** Removed or disabled in its source, or the source is no longer configured. */
  | { kind: 'gone' }

/** Options for {@link createIdentityRefresher}. */
export interface IdentityRefresherOptions {
  /**
   * The live source to read identities from, for a source name: `'session'` for a source whose groups hold
   * for the whole session (an identity provider states them at sign-in and cannot be asked again);
   * undefined when the source is not configured now.
   */
  source: (name: Identity['source']) => Pick<IdentitySource, 'lookup'> | 'session' | undefined
  /** The live `ldap.refreshInterval`, ms. */
  intervalMs: () => number
  now: () => number
  /** Told of each failed lookup (the identity goes on serving on its last-known groups meanwhile). */
  onFailure?: (err: unknown, identity: Identity) => void
}

/** Re-reads the groups of identities whose sessions are in use, at most once per interval. */
export interface IdentityRefresher {
  /**
   * Checks `identity` (last read at `checkedAt`) again when the interval has passed. Concurrent calls
   * for one name share one lookup. When the source fails, the identity serves on as stored and the next
   * attempt waits a back-off; once the last good check is older than twice the interval, the call
   * rejects with 503 `directoryUnavailable` (never a sign-out: the session stays for when it is back).
   */
  refresh (identity: Identity, checkedAt: number): Promise<RefreshResult>
  /** Whether `refresh` would answer `current` at once, without a lookup (none due, none failing). */
  isCurrent (identity: Identity, checkedAt: number): boolean
}

/** Past this many remembered failures, those whose back-off is over are forgotten. */
const MAX_FAILURES_KEPT = 1000

/** Retry a failed source after a quarter of the interval, at most 30 s. */
const backoffMs = (intervalMs: number): number => Math.min(30_000, Math.floor(intervalMs / 4))

/**
 * Keeps directory identities current while their sessions are used: groups are re-read at most once per
 * `intervalMs`; a source that fails is retried after a short back-off, and the last-known groups serve
 * meanwhile, for up to twice the interval.
 */
export function createIdentityRefresher (opts: IdentityRefresherOptions): IdentityRefresher {
  const pending = new Map<string, Promise<RefreshResult>>()
  const failures = new Map<string, { retryAt: number, error: unknown }>()

  /** Whether a lookup is due: never for groups held for the session, else once the interval has passed. */
  const due = (source: Pick<IdentitySource, 'lookup'> | 'session', checkedAt: number): source is Pick<IdentitySource, 'lookup'> =>
    source !== 'session' && opts.now() - checkedAt >= opts.intervalMs()
  const stale = (key: string, checkedAt: number): RefreshResult => {
    if (opts.now() - checkedAt < 2 * opts.intervalMs()) return { kind: 'current' }
    throw errors.directoryUnavailable(failures.get(key)?.error)
  }

  async function lookup (
    key: string, source: Pick<IdentitySource, 'lookup'>, identity: Identity, checkedAt: number
  ): Promise<RefreshResult> {
    try {
      const found = await source.lookup(identity.name)
      failures.delete(key)
      return found.outcome === 'gone' ? { kind: 'gone' } : { kind: 'updated', identity: found.identity, checkedAt: opts.now() }
    } catch (error) {
      if (failures.size >= MAX_FAILURES_KEPT) for (const [k, f] of failures) if (f.retryAt <= opts.now()) failures.delete(k)
      failures.set(key, { retryAt: opts.now() + backoffMs(opts.intervalMs()), error })
      opts.onFailure?.(error, identity)
      return stale(key, checkedAt)
    }
  }

  return {
    isCurrent (identity, checkedAt) {
      const source = opts.source(identity.source)
      return source !== undefined && !due(source, checkedAt)
    },
    async refresh (identity, checkedAt) {
      const source = opts.source(identity.source)
      if (source === undefined) return { kind: 'gone' }
      if (!due(source, checkedAt)) return { kind: 'current' }
      const key = `${identity.source}\0${identity.name}`
      if ((failures.get(key)?.retryAt ?? 0) > opts.now()) return stale(key, checkedAt)
      let running = pending.get(key)
      if (running === undefined) {
        running = lookup(key, source, identity, checkedAt).finally(() => pending.delete(key))
        pending.set(key, running)
      }
      // A failed lookup judged staleness by its starter's check time (a shared one may be another
      // session's): judge ours.
      const result = await running.catch((): RefreshResult => ({ kind: 'current' }))
      return result.kind === 'current' ? stale(key, checkedAt) : result
    }
  }
}
