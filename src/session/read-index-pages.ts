import type { Redis } from 'ioredis'

/**
 * The index's bookkeeping, `<prefix>identity:<h>`: pages `lo`..`hi`, entries in page `hi` (`c`) and in all
 * (`t`), and how many sessions were ever added (`n`): each entry's score, so the order is the order the
 * transactions committed in, whatever the replicas' clocks say.
 */
export interface Meta { lo: number, hi: number, c: number, t: number, n: number }
/** The meta's fields, in the order {@link parseMeta} reads them. */
export const META_FIELDS = ['lo', 'hi', 'c', 't', 'n'] as const

/**
 * Every entry of pages `lo`..`hi` of a per-identity session index (src/session/identity-session-index.ts), in
 * page order; null when a WATCH failed first (ioredis-mock answers a pipeline so).
 */
export async function readIndexPages (
  client: Pick<Redis, 'pipeline'>, meta: string, lo: number, hi: number
): Promise<Array<{ key: string, score: number }> | null> {
  const read = client.pipeline()
  for (let p = lo; p <= hi; p++) read.zrange(pageKey(meta, p), 0, -1, 'WITHSCORES')
  const replies = await read.exec()
  if (replies === null) return null
  return replies.flatMap(([err, reply]) => {
    if (err !== null) throw err
    const flat = reply as string[]
    const entries: Array<{ key: string, score: number }> = []
    for (let i = 0; i + 1 < flat.length; i += 2) entries.push({ key: flat[i] as string, score: Number(flat[i + 1]) })
    return entries
  })
}

/** The key of page `page` of the index whose meta is `meta`. */
export function pageKey (meta: string, page: number): string {
  return `${meta}:${page}`
}

/** The meta as HMGET returns {@link META_FIELDS}; a missing index is an empty page 0. */
export function parseMeta (values: Array<string | null>): Meta {
  const [lo, hi, c, t, n] = values.map((v) => Number(v ?? 0))
  return { lo: lo ?? 0, hi: hi ?? 0, c: c ?? 0, t: t ?? 0, n: n ?? 0 }
}
