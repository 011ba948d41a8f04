/** What `npm run bench` measures, from the environment. */
export interface BenchOptions {
  /**
   * `throughput`: that section alone (for iterating on the request path); `identity`: one identity's many
   * sessions alone; `forward-auth`: nginx `auth_request` against the gateway as the proxy alone. Never written
   * to BENCHMARKS.md.
   */
  only: 'throughput' | 'identity' | 'forward-auth' | undefined
  quick: boolean
  rounds: number
  durationS: number
  connections: number
  streamBytes: number
  sessions: number
}

/**
 * Reads BENCH_ONLY (`throughput`, `identity` or `forward-auth`), BENCH_ROUNDS, BENCH_DURATION (s), BENCH_CONNECTIONS, BENCH_STREAM_BYTES and BENCH_SESSIONS;
 * BENCH_QUICK=1 changes the defaults to a smoke run (1 round of 2 s, 64 MiB, 10,000 sessions).
 */
export function benchOptions (env: NodeJS.ProcessEnv): BenchOptions {
  const quick = env.BENCH_QUICK === '1'
  const num = (name: string, fallback: number): number => {
    const raw = env[name]
    if (raw === undefined || raw === '') return fallback
    const n = Number(raw)
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}=${raw}: expected a positive number`)
    return n
  }
  const only = env.BENCH_ONLY
  if (only !== undefined && only !== '' && only !== 'throughput' && only !== 'identity' && only !== 'forward-auth') {
    throw new Error(`BENCH_ONLY=${only}: expected throughput, identity or forward-auth`)
  }
  return {
    only: only === 'throughput' || only === 'identity' || only === 'forward-auth' ? only : undefined,
    quick,
    rounds: num('BENCH_ROUNDS', quick ? 1 : 3),
    durationS: num('BENCH_DURATION', quick ? 2 : 8),
    connections: num('BENCH_CONNECTIONS', 50),
    streamBytes: num('BENCH_STREAM_BYTES', quick ? 64 * 2 ** 20 : 2 ** 30),
    sessions: num('BENCH_SESSIONS', quick ? 10_000 : 100_000)
  }
}
