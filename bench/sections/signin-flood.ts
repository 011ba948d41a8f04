import { scrapeMetric } from '../lib/scrape-metric.ts'
import { signinLoops, type SigninLoopsResult } from '../lib/signin-loops.ts'
import { verdict } from '../lib/report-format.ts'
import { fmt, median, spread } from '../lib/stats.ts'
import { signIn, startGateway, type Target } from '../lib/targets.ts'
import { wrk } from '../lib/wrk.ts'

/** Options for {@link signinFlood}. */
export interface SigninFloodOptions {
  upstreamUrl: string
  /** Where the dedicated gateway's config and log go. */
  dir: string
  rounds: number
  durationS: number
  /** wrk connections of the proxied load (default 10: modest, so the hash queue is what shows). */
  connections?: number
  /** Concurrent sign-in loops (default 8). */
  loops?: number
}

interface Run { rps: number, p99: number, errors: number, lagP99: number, signins?: SigninLoopsResult }

const PATH = '/api/v2/buckets?orgID=0000000000000002'
const LAG_P99 = 'nodejs_eventloop_lag_p99_seconds'
const MAX_P99_RATIO = 2
const EXTRA = 'metrics: { listener: main }\nsignin: { maxFailures: 0 }\n'

/** One wrk run on the cookie path, with or without sign-in loops alongside; event-loop p99 from two scrapes. */
async function once (gateway: Target, cookie: string, opts: Required<SigninFloodOptions>, flood: boolean): Promise<Run> {
  const metricsUrl = `${gateway.url}/gateway/metrics`
  await scrapeMetric(metricsUrl, LAG_P99) // prom-client resets its histogram at each scrape
  const signins = flood ? signinLoops({ url: gateway.url, loops: opts.loops, durationS: opts.durationS }) : undefined
  const r = await wrk({ url: gateway.url + PATH, connections: opts.connections, durationS: opts.durationS, headers: { cookie } })
  const lagP99 = await scrapeMetric(metricsUrl, LAG_P99) * 1000
  return { rps: r.rps, p99: r.p99, errors: r.errors, lagP99, signins: await signins }
}

/**
 * Sign-ins flooding a dedicated gateway (default hash cost and queue) while wrk loads the proxied
 * cookie path: sign-ins/s, refusals, event-loop delay p99 and proxied p99 against a run without flood.
 */
export async function signinFlood (options: SigninFloodOptions): Promise<string> {
  const opts: Required<SigninFloodOptions> = { connections: 10, loops: 8, ...options }
  const gateway = await startGateway({ dir: opts.dir, name: 'signin-flood', upstreamUrl: opts.upstreamUrl, extra: EXTRA })
  const quiet: Run[] = []
  const flooded: Run[] = []
  try {
    const cookie = await signIn(gateway.url)
    await wrk({ url: gateway.url + PATH, connections: opts.connections, durationS: 2, headers: { cookie } }) // warm-up
    await signinLoops({ url: gateway.url, loops: opts.loops, durationS: 1 })
    for (let round = 0; round < opts.rounds; round++) {
      quiet.push(await once(gateway, cookie, opts, false))
      flooded.push(await once(gateway, cookie, opts, true))
    }
  } finally {
    await gateway.stop()
  }
  return report(opts, quiet, flooded)
}

function report (opts: Required<SigninFloodOptions>, quiet: Run[], flooded: Run[]): string {
  const med = (runs: Run[], f: (r: Run) => number): number => median(runs.map(f))
  const signins = (f: (s: SigninLoopsResult) => number) => (r: Run): number => r.signins === undefined ? 0 : f(r.signins)
  const rate = signins((s) => s.ok / s.seconds)
  const row = (label: string, runs: Run[], flood: boolean): string => [
    label,
    `${fmt(med(runs, (r) => r.rps))} (${spread(runs.map((r) => r.rps))})`,
    `${med(runs, (r) => r.p99).toFixed(2)} (${spread(runs.map((r) => r.p99), 2)})`,
    fmt(med(runs, (r) => r.errors)),
    med(runs, (r) => r.lagP99).toFixed(1),
    flood ? `${med(runs, rate).toFixed(1)} (${spread(runs.map(rate), 1)})` : '—',
    flood ? fmt(med(runs, signins((s) => s.busy))) : '—',
    flood ? fmt(med(runs, signins((s) => s.other))) : '—'
  ].join(' | ')
  const ratio = med(flooded, (r) => r.p99) / med(quiet, (r) => r.p99)
  return [
    'A dedicated gateway with `metrics: { listener: main }` and `signin: { maxFailures: 0 }` (the failed-sign-in throttle off, so one benchmark address may sign in without pause; ' +
    'the default hash cost, `maxConcurrentHashes: 1` and `maxQueuedHashes: 32` are what is measured). ' +
    `Each round runs \`wrk -t1 -c${opts.connections} -d${opts.durationS}s\` on \`GET ${PATH}\` with a session cookie, first alone, then with ${opts.loops} closed-loop ` +
    `sign-in loops (\`POST /api/v2/signin\`, Basic, keep-alive) from the bench process for the same ${opts.durationS} s; ${opts.rounds} interleaved round${opts.rounds === 1 ? '' : 's'} after a warm-up, medians (min–max). ` +
    `Event-loop delay p99 is prom-client's \`${LAG_P99}\` (\`perf_hooks.monitorEventLoopDelay\`, 10 ms resolution, so an idle loop reads about 10 ms), scraped just before and at the end of each run.`,
    '',
    '| run | proxied req/s | proxied p99 ms | wrk errors | event-loop delay p99 ms | sign-ins/s (204) | 503 busy | other |',
    '|---|---|---|---|---|---|---|---|',
    `| ${row('without flood', quiet, false)} |`,
    `| ${row(`with ${opts.loops} sign-in loops`, flooded, true)} |`,
    '',
    `Proxied p99 with the flood ÷ without: **${ratio.toFixed(2)}**.`,
    '',
    `- Target proxied p99 during a sign-in flood within ${MAX_P99_RATIO} × of its p99 without one: ${verdict(ratio <= MAX_P99_RATIO)} (${med(flooded, (r) => r.p99).toFixed(2)} ms vs ${med(quiet, (r) => r.p99).toFixed(2)} ms, ${ratio.toFixed(2)} ×).`
  ].join('\n')
}
