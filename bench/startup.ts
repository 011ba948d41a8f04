// `npm run bench:startup`: the gateway run from its sources through tsx (as tests and `bench` run it) against
// the compiled release (`npm start`, the image: node on dist/), same machine, same run, interleaved. Each
// round starts both afresh and measures start-up to the `listening` line, RSS at idle (after IDLE_MS), then
// the cookie path with wrk as `bench:compare` does (req/s, CPU µs per request). The load average is printed
// with the figures: the machine is shared. BENCH_ROUNDS (4) and BENCH_DURATION (4 s) as for `npm run bench`.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { machineReport } from './lib/machine-report.ts'
import { rssBytes } from './lib/proc.ts'
import { fmt, median, spread } from './lib/stats.ts'
import { COMPILED, SOURCES, signIn, startGateway, startScript, type Target } from './lib/targets.ts'
import { measuredWrk, wrk } from './lib/wrk.ts'

const PATH = '/api/v2/buckets?orgID=0000000000000002'
const ROOT = join(import.meta.dirname, '..')
/** How long a started gateway sits unused before its RSS is read. */
const IDLE_MS = 2000

interface Mode { name: string, entry: string[] }
interface Run { readyMs: number, rssMiB: number, rps: number, cpuUs: number }

const MODES: Mode[] = [
  { name: 'sources through tsx (`node --import tsx src/cli.ts`)', entry: SOURCES },
  { name: 'compiled (`node --enable-source-maps dist/cli.js`)', entry: COMPILED },
  // What the source maps cost: node maps a stack only when one is read, so the request path should not pay.
  { name: 'compiled, no source maps (`node dist/cli.js`)', entry: COMPILED.filter((a) => a !== '--enable-source-maps') }
]

/** One fresh gateway in `mode`: start-up, idle RSS, then the cookie path under wrk. */
async function measure (mode: Mode, round: number, dir: string, upstreamUrl: string, durationS: number): Promise<Run> {
  const gw = await startGateway({ dir, name: `${round}-${MODES.indexOf(mode)}`, upstreamUrl, entry: mode.entry })
  try {
    await sleep(IDLE_MS)
    const rssMiB = rssBytes(gw.pid) / 2 ** 20
    const headers = { cookie: await signIn(gw.url) }
    await wrk({ url: gw.url + PATH, connections: 50, durationS: 2, headers })
    const r = await measuredWrk(mode.name, gw.pid, { url: gw.url + PATH, connections: 50, durationS, headers })
    return { readyMs: gw.readyMs, rssMiB, rps: r.rps, cpuUs: r.cpuUs }
  } finally {
    await gw.stop()
  }
}

const load = (): string => loadavg().map((l) => l.toFixed(2)).join(', ')

async function main (): Promise<void> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 4)
  const durationS = Number(process.env.BENCH_DURATION ?? 4)
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'tsconfig.build.json'], { cwd: ROOT })
  const dir = mkdtempSync(join(tmpdir(), 'gw-startup-'))
  let upstream: Target | undefined
  const loadBefore = load()
  try {
    upstream = await startScript('upstream.ts')
    const runs = new Map<Mode, Run[]>(MODES.map((m) => [m, []]))
    for (let round = 0; round < rounds; round++) {
      for (const mode of MODES) runs.get(mode)!.push(await measure(mode, round, dir, upstream.url, durationS))
    }
    console.log([...machineReport(ROOT, 'npm run bench:startup'), `- Load average (1, 5, 15 min): ${loadBefore} before, ${load()} after`].join('\n'))
    console.log(`\n${rounds} interleaved round(s), each gateway started afresh (median, min–max); ` +
      `RSS ${IDLE_MS / 1000} s after start; wrk -t1 -c50 -d${durationS}s on the cookie path, \`GET ${PATH}\`\n`)
    console.log('| how it runs | start-up to `listening`, ms | RSS at idle, MiB | req/s | CPU µs/req |\n|---|---|---|---|---|')
    for (const mode of MODES) {
      const rs = runs.get(mode)!
      const col = (k: keyof Run, digits: number): string => `${fmt(median(rs.map((r) => r[k])), digits)} (${spread(rs.map((r) => r[k]), digits)})`
      console.log(`| ${mode.name} | ${col('readyMs', 0)} | ${col('rssMiB', 1)} | ${col('rps', 0)} | ${col('cpuUs', 1)} |`)
    }
  } finally {
    await upstream?.stop().catch(() => {})
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => { console.error(err); process.exitCode = 1 })
