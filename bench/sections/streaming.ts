import http from 'node:http'
import { watchPeakRss } from '../lib/peak-rss.ts'
import { cpuMicros, rssBytes } from '../lib/proc.ts'
import { mb, sizeLabel, verdict } from '../lib/report-format.ts'
import { median, spread } from '../lib/stats.ts'
import type { Target } from '../lib/targets.ts'
import { download, upload, type TransferResult } from '../lib/transfer.ts'

/** A way to reach the upstream: directly, through the gateway, or through another forwarder. */
export interface StreamingVia {
  name: string
  target: Target
  headers?: Record<string, string>
}

/** Options for {@link streaming}. */
export interface StreamingOptions {
  upstream: Target
  gateway: Target
  /** The gateway's session cookie (`name=value`). */
  cookie: string
  /** Other forwarders to stream through for comparison (bare proxies, nginx). */
  others?: StreamingVia[]
  /** Bytes per transfer (the performance targets name 1 GiB). */
  bytes: number
  rounds: number
}

type Way = 'download' | 'upload'
interface Run { mbps: number, rssGrowth: number, cpuSPerGiB: number, rssMethod: string }

const MIN_RATIO = 0.9
const MAX_GROWTH_BYTES = 50e6
const GiB = 2 ** 30

/** A setup whose transfer failed (a connection cut: EPIPE, ECONNRESET), named in the report instead of ending the run. */
class SetupFailed extends Error {}

/** Why a transfer failed, short: the error's code, else its message. */
const reason = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? (err as Error).message ?? String(err)

/** One transfer, checked: all bytes arrived; the forwarder's CPU and peak RSS growth over it. */
async function once (opts: StreamingOptions, way: Way, via: StreamingVia, bytes: number, agent: http.Agent): Promise<Run> {
  const pid = via.target.pid // directly: the upstream's own
  const rssBefore = rssBytes(pid)
  const cpuBefore = cpuMicros(pid)
  const peak = watchPeakRss(pid)
  let r: TransferResult
  let peakBytes: number
  try {
    r = way === 'download'
      ? await download({ url: `${via.target.url}/api/v2/query?org=o&bytes=${bytes}`, agent, headers: via.headers })
      : await upload({ url: `${via.target.url}/api/v2/write?org=o&bucket=b`, agent, headers: via.headers, bytes })
  } catch (err) {
    throw new SetupFailed(reason(err), { cause: err })
  } finally {
    peakBytes = peak.stop()
  }
  const ok = way === 'download' ? r.status === 200 && r.bytes === bytes : r.status === 204 && r.received === bytes
  if (!ok) throw new SetupFailed(`status ${r.status}, ${r.received ?? r.bytes} of ${bytes} bytes`)
  const cpuS = (cpuMicros(pid) - cpuBefore) / 1e6
  return { mbps: r.bytes / 1e6 / r.seconds, rssGrowth: peakBytes - rssBefore, cpuSPerGiB: cpuS * GiB / bytes, rssMethod: peak.method }
}

/**
 * A large response and a large upload, directly, through the gateway (session cookie) and through
 * the other forwarders, in interleaved rounds: MB/s, the forwarder's CPU per GiB and its peak RSS growth.
 */
export async function streaming (opts: StreamingOptions): Promise<string> {
  const vias: StreamingVia[] = [
    { name: 'directly', target: opts.upstream },
    { name: 'gateway, session cookie', target: opts.gateway, headers: { cookie: opts.cookie } },
    ...(opts.others ?? [])
  ]
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  const runs = new Map<string, Run[]>()
  const failed = new Map<string, string>()
  // A setup that fails is reported as such and left out of later rounds; the others go on.
  const measure = async (way: Way, via: StreamingVia, bytes: number, round: string): Promise<void> => {
    const key = `${way} ${via.name}`
    if (failed.has(key)) return
    try {
      const run = await once(opts, way, via, bytes, agent)
      if (round !== 'warm-up') runs.set(key, [...(runs.get(key) ?? []), run])
    } catch (err) {
      if (!(err instanceof SetupFailed)) throw err
      failed.set(key, `${err.message} (${round})`)
      process.stderr.write(`streaming: ${way} via ${via.name} failed (${err.message}, ${round}); the other setups go on\n`)
    }
  }
  try {
    for (const way of ['download', 'upload'] as const) {
      for (const via of vias) await measure(way, via, Math.min(opts.bytes, 16 * 2 ** 20), 'warm-up')
    }
    for (let round = 0; round < opts.rounds; round++) {
      for (const way of ['download', 'upload'] as const) {
        for (const via of vias) await measure(way, via, opts.bytes, `round ${round + 1}`)
      }
    }
  } finally {
    agent.destroy()
  }
  return report(opts, vias, runs, failed)
}

function report (opts: StreamingOptions, vias: StreamingVia[], runs: Map<string, Run[]>, failed: Map<string, string>): string {
  const method = [...runs.values()].flat().every((r) => r.rssMethod === 'VmHWM') ? 'VmHWM, reset before each transfer' : 'VmRSS sampled every 20 ms'
  const size = sizeLabel(opts.bytes)
  const of = (way: Way, via: StreamingVia): Run[] => runs.get(`${way} ${via.name}`) as Run[]
  const med = (way: Way, via: StreamingVia, k: 'mbps' | 'rssGrowth' | 'cpuSPerGiB'): number => median(of(way, via).map((r) => r[k]))
  const [direct, gateway] = vias as [StreamingVia, StreamingVia]
  const lines = [
    `One ${size} \`GET /api/v2/query?bytes=…\` response and one ${size} \`POST /api/v2/write\` body (with \`Content-Length\`, generated in 64 KiB chunks as the socket drains), ` +
    `over one node:http keep-alive connection from the bench process; ${opts.rounds} interleaved round${opts.rounds === 1 ? '' : 's'} after a 16 MiB warm-up, medians (min–max). ` +
    'MB/s = bytes / 10⁶ / seconds from request to the end of the response. CPU: the forwarder\'s user+system seconds per GiB (directly: the upstream\'s). ' +
    `RSS growth: the forwarder's peak RSS during the transfer (${method}) minus its RSS just before. ` +
    'Client, upstream and forwarder share the two cores: directly, two processes stream; through any forwarder, three.',
    '',
    '| transfer | via | MB/s | ÷ directly | CPU s/GiB | peak RSS growth MB |',
    '|---|---|---|---|---|---|'
  ]
  const targets: string[] = []
  const failure = (way: Way, via: StreamingVia): string | undefined => failed.get(`${way} ${via.name}`)
  for (const way of ['download', 'upload'] as const) {
    for (const via of vias) {
      const why = failure(way, via)
      if (why !== undefined) {
        lines.push(`| ${way} ${size} | ${via.name} | **failed: ${why}** | — | — | — |`)
        continue
      }
      const ratio = failure(way, direct) === undefined ? (med(way, via, 'mbps') / med(way, direct, 'mbps')).toFixed(2) : '—'
      lines.push(`| ${way} ${size} | ${via.name} | ${med(way, via, 'mbps').toFixed(0)} (${spread(of(way, via).map((r) => r.mbps))}) | ${ratio} | ` +
        `${med(way, via, 'cpuSPerGiB').toFixed(2)} | ${via === direct ? '—' : `${mb(med(way, via, 'rssGrowth'))} (${spread(of(way, via).map((r) => r.rssGrowth / 1e6), 1)})`} |`)
    }
    const why = failure(way, direct) ?? failure(way, gateway)
    if (why !== undefined) {
      targets.push(`- Target ${way}: not measured (a transfer failed: ${why}).`)
      continue
    }
    const ratio = med(way, gateway, 'mbps') / med(way, direct, 'mbps')
    const growth = med(way, gateway, 'rssGrowth')
    targets.push(`- Target ${way}: ≥ ${MIN_RATIO} × direct MB/s and ≤ ${MAX_GROWTH_BYTES / 1e6} MB RSS growth: ${verdict(ratio >= MIN_RATIO && growth <= MAX_GROWTH_BYTES)} (${ratio.toFixed(2)} ×, ${mb(growth)} MB).`)
  }
  return [...lines, '', ...targets].join('\n')
}
