import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { cpuMicros } from './proc.ts'

const run = promisify(execFile)

/** One wrk run, parsed. */
export interface WrkResult {
  requests: number
  rps: number
  /** Latency percentiles, ms. */
  p50: number
  p99: number
  /** Non-2xx/3xx answers plus socket errors: any makes the run invalid. */
  errors: number
}

/** Options for {@link wrk}: fixed connections and duration, one thread (the other core is the target's). */
export interface WrkOptions {
  url: string
  connections: number
  durationS: number
  headers?: Record<string, string>
}

/** Runs Debian's wrk against a loopback URL. */
export async function wrk (opts: WrkOptions): Promise<WrkResult> {
  const args = ['-t1', `-c${opts.connections}`, `-d${opts.durationS}s`, '--latency']
  for (const [name, value] of Object.entries(opts.headers ?? {})) args.push('-H', `${name}: ${value}`)
  args.push(opts.url)
  const { stdout } = await run('wrk', args, { timeout: (opts.durationS + 30) * 1000 })
  return parseWrk(stdout)
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 }

function duration (text: string | undefined): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text ?? '')
  if (m === null) throw new Error(`wrk: cannot read duration ${text}`)
  return Number(m[1]) * (UNIT_MS[m[2] as string] as number)
}

/** Reads wrk's `--latency` report. */
export function parseWrk (out: string): WrkResult {
  const requests = Number(/(\d+) requests in/.exec(out)?.[1])
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1])
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const socketErrors = socket === null ? 0 : socket.slice(1).reduce((sum, n) => sum + Number(n), 0)
  if (!Number.isFinite(requests) || !Number.isFinite(rps)) throw new Error(`wrk: unexpected output\n${out}`)
  return {
    requests,
    rps,
    p50: duration(/ 50%\s+(\S+)/.exec(out)?.[1]),
    p99: duration(/ 99%\s+(\S+)/.exec(out)?.[1]),
    errors: non2xx + socketErrors
  }
}

/** A wrk run with the CPU process `pid` used over it, per request; any error or non-2xx answer is fatal. */
export async function measuredWrk (name: string, pid: number, opts: WrkOptions): Promise<WrkResult & { cpuUs: number }> {
  const before = cpuMicros(pid)
  const r = await wrk(opts)
  const cpu = cpuMicros(pid) - before
  if (r.errors > 0) throw new Error(`${name}: ${r.errors} errors or non-2xx answers`)
  return { ...r, cpuUs: cpu / r.requests }
}
