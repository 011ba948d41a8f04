// `npm run bench:compare -- <commit>`: this tree's gateway against the gateway of another commit, side by
// side in one run (interleaved wrk rounds, the bare undici engine (b′) as the reference), for a change's
// before/after figures. The other commit is checked out in a temporary git worktree (removed at the end)
// sharing this tree's node_modules. BENCH_ROUNDS (4) and BENCH_DURATION (4 s) as for `npm run bench`.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fmt, median, spread } from './lib/stats.ts'
import { BENCH_TOKEN, signIn, startGateway, startScript, type Target } from './lib/targets.ts'
import { measuredWrk, wrk } from './lib/wrk.ts'

const PATH = '/api/v2/buckets?orgID=0000000000000002'
const ROOT = join(import.meta.dirname, '..')

interface Setup { name: string, target: Target, headers?: Record<string, string> }

async function main (): Promise<void> {
  const commit = process.argv[2]
  if (commit === undefined) throw new Error('usage: npm run bench:compare -- <commit>')
  const rounds = Number(process.env.BENCH_ROUNDS ?? 4)
  const durationS = Number(process.env.BENCH_DURATION ?? 4)
  const dir = mkdtempSync(join(tmpdir(), 'gw-compare-'))
  const other = join(dir, 'tree')
  execFileSync('git', ['-C', ROOT, 'worktree', 'add', '--detach', other, commit], { stdio: 'ignore' })
  symlinkSync(join(ROOT, 'node_modules'), join(other, 'node_modules'))
  const started: Target[] = []
  const keep = async (t: Promise<Target>): Promise<Target> => { const s = await t; started.push(s); return s }
  try {
    const upstream = await keep(startScript('upstream.ts'))
    const engine = await keep(startScript('bare-undici.ts', [upstream.url]))
    const before = await keep(startGateway({ dir, name: 'before', upstreamUrl: upstream.url, root: other }))
    const after = await keep(startGateway({ dir, name: 'after', upstreamUrl: upstream.url }))
    const token = { authorization: `Token ${BENCH_TOKEN}` }
    const setups: Setup[] = [
      { name: '(b′) bare undici engine', target: engine },
      { name: `(c) cookie, ${commit}`, target: before, headers: { cookie: await signIn(before.url) } },
      { name: '(c) cookie, this tree', target: after, headers: { cookie: await signIn(after.url) } },
      { name: `(d) token, ${commit}`, target: before, headers: token },
      { name: '(d) token, this tree', target: after, headers: token }
    ]
    const runs = new Map<Setup, Array<{ rps: number, cpuUs: number }>>(setups.map((s) => [s, []]))
    for (const s of setups) await wrk({ url: s.target.url + PATH, connections: 50, durationS: 2, headers: s.headers })
    for (let round = 0; round < rounds; round++) {
      for (const s of setups) {
        const r = await measuredWrk(s.name, s.target.pid, { url: s.target.url + PATH, connections: 50, durationS, headers: s.headers })
        runs.get(s)!.push({ rps: r.rps, cpuUs: r.cpuUs })
      }
    }
    const med = (s: Setup, k: 'rps' | 'cpuUs'): number => median(runs.get(s)!.map((r) => r[k]))
    const ref = setups[0] as Setup
    console.log(`wrk -t1 -c50 -d${durationS}s, ${rounds} interleaved rounds (median, min–max), \`GET ${PATH}\`\n`)
    console.log('| setup | req/s | CPU µs/req | ÷ (b′) req/s | ÷ (b′) CPU |\n|---|---|---|---|---|')
    for (const s of setups) {
      const rs = runs.get(s)!
      console.log(`| ${s.name} | ${fmt(med(s, 'rps'))} (${spread(rs.map((r) => r.rps))}) | ${med(s, 'cpuUs').toFixed(1)} | ` +
        `${(med(s, 'rps') / med(ref, 'rps')).toFixed(2)} | ${(med(s, 'cpuUs') / med(ref, 'cpuUs')).toFixed(2)} |`)
    }
  } finally {
    for (const t of started.reverse()) await t.stop().catch(() => {})
    execFileSync('git', ['-C', ROOT, 'worktree', 'remove', '--force', other], { stdio: 'ignore' })
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => { console.error(err); process.exitCode = 1 })
