import http from 'node:http'
import { percentile } from './stats.ts'

/** Options for {@link pacedLoad}. */
export interface PacedOptions {
  url: string
  /** Requests started per second, on schedule whatever the answers (open loop). */
  rate: number
  durationS: number
  connections: number
  headers?: Record<string, string>
}

/** Latency percentiles (ms) of an open-loop load, counted from each request's scheduled start. */
export interface PacedResult {
  p50: number
  p99: number
  sent: number
  errors: number
  /** What went wrong, by status or error code, e.g. `{ "503": 2, ECONNRESET: 1 }`. */
  failures: Record<string, number>
}

/**
 * An open-loop load at a fixed rate over keep-alive connections, for latency at a given rate (wrk only
 * runs flat out). Latency counts from the scheduled start (or the send, if earlier), so a client
 * that falls behind shows it.
 */
export async function pacedLoad (opts: PacedOptions): Promise<PacedResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections })
  const target = new URL(opts.url)
  const total = Math.round(opts.rate * opts.durationS)
  const latencies: number[] = []
  let errors = 0
  const failures: Record<string, number> = {}
  const fail = (what: string): void => {
    errors++
    failures[what] = (failures[what] ?? 0) + 1
  }
  const start = performance.now()
  const pending: Array<Promise<void>> = []
  const one = (scheduled: number): Promise<void> => new Promise((resolve) => {
    // A request sent ahead of its slot (timers are ms-grained) counts from when it was sent.
    const from = Math.min(scheduled, performance.now())
    const req = http.request({ host: target.hostname, port: target.port, path: target.pathname + target.search, agent, headers: opts.headers }, (res) => {
      res.resume()
      res.once('end', () => {
        if (res.statusCode !== 200) fail(String(res.statusCode))
        else latencies.push(performance.now() - from)
        resolve()
      })
    })
    req.once('error', (err: NodeJS.ErrnoException) => { fail(err.code ?? err.message); resolve() })
    req.end()
  })
  for (let i = 0; i < total; i++) {
    const scheduled = start + (i * 1000) / opts.rate
    const wait = scheduled - performance.now()
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait))
    pending.push(one(scheduled))
  }
  await Promise.all(pending)
  agent.destroy()
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), sent: total, errors, failures }
}
