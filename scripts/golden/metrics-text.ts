/**
 * The Prometheus text of a golden run, normalised: the gateway's own series as they are, but the buckets
 * and sums of duration histograms (how long things took) as `<n>`; of Node's default process metrics
 * (`process_*`, `nodejs_*`: memory, CPU, GC, handles) only the families, whose samples are all time-bound.
 */
export function normaliseMetrics (text: string): string {
  return text.split('\n').filter((line) => line !== '').flatMap((line) => {
    if (line.startsWith('#')) return [line]
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0] ?? ''
    if (name.startsWith('process_') || name.startsWith('nodejs_')) return []
    if (/_seconds_(?:bucket|sum)$/.test(name)) return [line.replace(/ \S+$/, ' <n>')]
    return [line]
  }).join('\n')
}
