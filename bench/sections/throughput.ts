import { pacedLoad, type PacedResult } from '../lib/paced.ts'
import { verdict } from '../lib/report-format.ts'
import { fmt, median, spread } from '../lib/stats.ts'
import { BENCH_TOKEN, signIn, type Target } from '../lib/targets.ts'
import { measuredWrk } from '../lib/wrk.ts'

/** The setups compared, in the order the performance targets list them. */
export type Setup = 'direct' | 'bare' | 'undici' | 'cookie' | 'token' | 'nginx'

export const SETUP_NAMES: Record<Setup, string> = {
  direct: '(a) upstream directly',
  bare: '(b) bare http-proxy-3, keep-alive agent',
  undici: '(b′) bare undici Pool.stream forwarder',
  cookie: '(c) gateway, session cookie',
  token: '(d) gateway, token passthrough',
  nginx: '(e) nginx proxy_pass, static Authorization'
}

/** The processes the throughput section loads. */
export interface ThroughputTargets {
  upstream: Target
  bare: Target
  /** The gateway's own forwarding engine with nothing around it. */
  bareUndici: Target
  gateway: Target
  nginx?: Target
}

/** Options for {@link throughput}. */
export interface ThroughputOptions {
  rounds: number
  durationS: number
  connections: number
  /** Seconds of each paced run for the added-latency figure. */
  pacedS: number
}

interface Run { rps: number, p50: number, p99: number, cpuUs: number }

const PATH = '/api/v2/buckets?orgID=0000000000000002'

/** (a)–(e) side by side: interleaved wrk rounds, then added latency at half of (c)'s rate. */
export async function throughput (t: ThroughputTargets, opts: ThroughputOptions): Promise<string> {
  const cookie = await signIn(t.gateway.url)
  const setups: Array<{ setup: Setup, target: Target, measured: Target, headers?: Record<string, string> }> = [
    { setup: 'direct', target: t.upstream, measured: t.upstream },
    { setup: 'bare', target: t.bare, measured: t.bare },
    { setup: 'undici', target: t.bareUndici, measured: t.bareUndici },
    { setup: 'cookie', target: t.gateway, measured: t.gateway, headers: { cookie } },
    { setup: 'token', target: t.gateway, measured: t.gateway, headers: { authorization: `Token ${BENCH_TOKEN}` } }
  ]
  if (t.nginx !== undefined) setups.push({ setup: 'nginx', target: t.nginx, measured: t.nginx })
  const runs = new Map<Setup, Run[]>(setups.map((s) => [s.setup, []]))
  const once = async (s: typeof setups[number], durationS: number): Promise<Run> => {
    const r = await measuredWrk(SETUP_NAMES[s.setup], s.measured.pid, { url: s.target.url + PATH, connections: opts.connections, durationS, headers: s.headers })
    return { rps: r.rps, p50: r.p50, p99: r.p99, cpuUs: r.cpuUs }
  }
  for (const s of setups) await once(s, 2) // warm-up: JIT, connection pools
  for (let round = 0; round < opts.rounds; round++) {
    for (const s of setups) runs.get(s.setup)!.push(await once(s, opts.durationS))
  }

  const med = (setup: Setup, key: keyof Run): number => median(runs.get(setup)!.map((r) => r[key]))
  const ratio = (setup: Setup, to: Setup): string => runs.has(to) ? (med(setup, 'rps') / med(to, 'rps')).toFixed(2) : '—'
  const lines = [
    `wrk -t1 -c${opts.connections} -d${opts.durationS}s, ${opts.rounds} interleaved rounds (median, min–max), \`GET ${PATH}\` answered with ${'a ~200-byte JSON'}.`,
    'CPU is the measured process\'s user+system time over the run divided by the requests wrk counted (10 ms ticks).',
    '',
    '(b′), the gateway\'s own forwarding engine with nothing around it, is the reference: the gap to it is the cost of the gateway\'s own work.',
    '',
    '| setup | req/s | p50 ms | p99 ms | CPU µs/req | ÷ (b′) req/s | ÷ (b′) CPU | ÷ (a) | ÷ (b) | ÷ (e) |',
    '|---|---|---|---|---|---|---|---|---|---|'
  ]
  const cpuRatio = (setup: Setup): string => (med(setup, 'cpuUs') / med('undici', 'cpuUs')).toFixed(2)
  for (const { setup } of setups) {
    const rs = runs.get(setup)!
    lines.push(`| ${SETUP_NAMES[setup]} | ${fmt(med(setup, 'rps'))} (${spread(rs.map((r) => r.rps))}) | ${med(setup, 'p50').toFixed(2)} | ${med(setup, 'p99').toFixed(2)} | ` +
      `${med(setup, 'cpuUs').toFixed(0)} (${spread(rs.map((r) => r.cpuUs))}) | ${ratio(setup, 'undici')} | ${cpuRatio(setup)} | ${ratio(setup, 'direct')} | ${ratio(setup, 'bare')} | ${ratio(setup, 'nginx')} |`)
  }
  const cookieRps = med('cookie', 'rps') / med('undici', 'rps')
  const cookieCpu = med('cookie', 'cpuUs') / med('undici', 'cpuUs')
  const tokenRps = med('token', 'rps') / med('undici', 'rps')
  const targets = [
    `- Target (c) cookie path ≥ 0.7 × (b′) req/s: ${verdict(cookieRps >= 0.7)} (${cookieRps.toFixed(2)} ×).`,
    `- Target (c) CPU per request ≤ 1.45 × (b′)'s: ${verdict(cookieCpu <= 1.45)} (${cookieCpu.toFixed(2)} ×: ${med('cookie', 'cpuUs').toFixed(0)} vs ${med('undici', 'cpuUs').toFixed(0)} µs).`,
    `- Target (d) token passthrough ≥ 0.75 × (b′) req/s: ${verdict(tokenRps >= 0.75)} (${tokenRps.toFixed(2)} ×).`
  ]

  // Added latency at half of (c)'s maximum rate: the same open-loop load, direct and through the gateway.
  const rate = Math.round(med('cookie', 'rps') / 2)
  const paced: Record<'direct' | 'gated', PacedResult[]> = { direct: [], gated: [] }
  for (let round = 0; round < opts.rounds; round++) {
    paced.direct.push(await pacedLoad({ url: t.upstream.url + PATH, rate, durationS: opts.pacedS, connections: opts.connections }))
    paced.gated.push(await pacedLoad({ url: t.gateway.url + PATH, rate, durationS: opts.pacedS, connections: opts.connections, headers: { cookie } }))
  }
  const errors = [...paced.direct, ...paced.gated].reduce((n, r) => n + r.errors, 0)
  const sent = [...paced.direct, ...paced.gated].reduce((n, r) => n + r.sent, 0)
  // A stray reset is reported, not fatal; more than 1 % means the run measured something else.
  if (errors > sent / 100) throw new Error(`paced load: ${errors} of ${sent} failed ${JSON.stringify([...paced.direct, ...paced.gated].map((r) => r.failures))}`)
  const pm = (which: 'direct' | 'gated', k: 'p50' | 'p99'): number => median(paced[which].map((r) => r[k]))
  const added = paced.gated.map((g, i) => g.p50 - (paced.direct[i] as PacedResult).p50)
  lines.push('', `Open-loop load at ${fmt(rate)} req/s (half of (c)) for ${opts.pacedS} s, ${opts.rounds} interleaved rounds, latency from each request's scheduled start (medians, min–max):`, '',
    '| | p50 ms | p99 ms |', '|---|---|---|',
    `| (a) directly | ${pm('direct', 'p50').toFixed(2)} (${spread(paced.direct.map((r) => r.p50), 2)}) | ${pm('direct', 'p99').toFixed(2)} |`,
    `| (c) gateway, session cookie | ${pm('gated', 'p50').toFixed(2)} (${spread(paced.gated.map((r) => r.p50), 2)}) | ${pm('gated', 'p99').toFixed(2)} |`,
    '', `Added p50 latency (per round, gateway minus direct): **${median(added).toFixed(2)} ms** (${spread(added, 2)}).`,
    ...(errors > 0 ? ['', `Failed paced requests (not in the latencies): ${JSON.stringify([...paced.direct, ...paced.gated].map((r) => r.failures))} (directly, gateway, by round).`] : []))
  targets.push(`- Target added p50 latency ≤ 0.5 ms at half of (c)'s maximum rate: ${verdict(median(added) <= 0.5)} (${median(added).toFixed(2)} ms at ${fmt(rate)} req/s).`)
  return [...lines, '', ...targets].join('\n')
}
