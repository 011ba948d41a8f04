/** A small cache of looked-up values, each believed for a while. */
export interface TtlCache<T> {
  /** The cached value for `key`, else `load()`'s (cached when it resolves; a rejection is not cached). */
  get (key: string, load: () => Promise<T>): Promise<T>
}

/**
 * Values cached for `ttlMs` (by `now`), at most `maxEntries` (the oldest go first). Concurrent gets of a
 * missing key share one load.
 */
export function createTtlCache<T> (now: () => number, ttlMs: number, maxEntries: number): TtlCache<T> {
  const entries = new Map<string, { value: Promise<T>, until: number }>()
  return {
    get (key, load) {
      const hit = entries.get(key)
      if (hit !== undefined && now() < hit.until) return hit.value
      const value = load()
      entries.delete(key)
      entries.set(key, { value, until: now() + ttlMs })
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string)
      value.catch(() => { if (entries.get(key)?.value === value) entries.delete(key) })
      return value
    }
  }
}
