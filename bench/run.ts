// `npm run bench [-- --write]`: throughput, streaming, in-process sessions, sign-in flood, forward auth
// and session stores, as one Markdown report on stdout (progress on stderr). With `--write` the report
// also replaces the bench block of BENCHMARKS.md. Loopback only; every process it starts is stopped.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { benchOptions, type BenchOptions } from './lib/bench-options.ts'
import { machineReport } from './lib/machine-report.ts'
import { onPath } from './lib/on-path.ts'
import { writeReportBlock } from './lib/report-block.ts'
import { sizeLabel } from './lib/report-format.ts'
import { fmt } from './lib/stats.ts'
import { signIn, startGateway, startNginx, startScript, type Target } from './lib/targets.ts'
import { forwardAuth } from './sections/forward-auth.ts'
import { identitySessions } from './sections/identity-sessions.ts'
import { sessionStores } from './sections/session-stores.ts'
import { sessions } from './sections/sessions.ts'
import { signinFlood } from './sections/signin-flood.ts'
import { streaming } from './sections/streaming.ts'
import { throughput } from './sections/throughput.ts'

const ROOT = join(import.meta.dirname, '..')
const OPTION_VARS = ['BENCH_ONLY', 'BENCH_QUICK', 'BENCH_ROUNDS', 'BENCH_DURATION', 'BENCH_CONNECTIONS', 'BENCH_STREAM_BYTES', 'BENCH_SESSIONS']

type Progress = (what: string) => void

/** Progress lines on stderr, with the seconds since the bench began. */
function createProgress (): Progress {
  const started = Date.now()
  return (what) => { process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0)} s] ${what}\n`) }
}

const warn = (what: string): void => { process.stderr.write(`\n*** WARNING: ${what} ***\n\n`) }

/** The command as typed: the BENCH_* variables set, then npm or node with the arguments. */
function commandLine (): string {
  const env = OPTION_VARS.filter((name) => process.env[name] !== undefined).map((name) => `${name}=${process.env[name]}`)
  const args = process.argv.slice(2)
  const run = process.env.npm_lifecycle_event === 'bench'
    ? ['npm run bench', ...(args.length > 0 ? ['--', ...args] : [])]
    : ['node', ...process.execArgv, 'bench/run.ts', ...args]
  return [...env, ...run].join(' ')
}

/** Starts the shared targets, runs every section, stops what it started; resolves to the sections' Markdown. */
async function runSections (opts: BenchOptions, dir: string, progress: Progress): Promise<string[]> {
  const targets: Target[] = []
  const keep = async (target: Promise<Target>): Promise<Target> => {
    const t = await target
    targets.push(t)
    return t
  }
  const out: string[] = []
  if (opts.only === 'identity') return await oneIdentity(opts, progress)
  try {
    const upstream = await keep(startScript('upstream.ts'))
    if (opts.only === 'forward-auth') return await forwardAuthSection(opts, upstream, dir, progress)
    const bare = await keep(startScript('bare-proxy.ts', [upstream.url]))
    const bareUndici = await keep(startScript('bare-undici.ts', [upstream.url]))
    const gateway = await keep(startGateway({ dir, name: 'gateway', upstreamUrl: upstream.url }))
    let nginx: Target | undefined
    if (onPath('nginx')) nginx = await keep(startNginx(dir, upstream.url))
    else warn('nginx is not on PATH: setup (e) is skipped (apt-get install nginx)')

    progress('throughput (a)–(e)')
    out.push('## Throughput', await throughput({ upstream, bare, bareUndici, gateway, nginx }, { rounds: opts.rounds, durationS: opts.durationS, connections: opts.connections, pacedS: opts.durationS }))
    if (nginx === undefined) out.push('**(e) skipped: nginx is not on PATH.**')
    if (opts.only === 'throughput') return out
    progress(`streaming ${sizeLabel(opts.streamBytes)}`)
    const others = [
      { name: '(b) bare http-proxy-3', target: bare },
      { name: '(b′) bare undici', target: bareUndici },
      ...(nginx === undefined ? [] : [{ name: '(e) nginx, default buffering', target: nginx }])
    ]
    out.push('## Streaming', await streaming({ upstream, gateway, cookie: await signIn(gateway.url), others, bytes: opts.streamBytes, rounds: opts.rounds }))
    progress(`${fmt(opts.sessions)} in-process sessions`)
    out.push('## In-process sessions', await sessions({ count: opts.sessions }))
    out.push(...await oneIdentity(opts, progress))
    progress('sign-in flood')
    out.push('## Sign-in flood', await signinFlood({ upstreamUrl: upstream.url, dir, rounds: opts.rounds, durationS: opts.durationS }))
    out.push(...await forwardAuthSection(opts, upstream, dir, progress))
    progress('session stores')
    if (onPath('redis-server')) {
      out.push('## Session stores', await sessionStores({ upstreamUrl: upstream.url, dir, rounds: opts.rounds, durationS: opts.durationS, connections: opts.connections, sessions: opts.sessions }))
    } else {
      warn('redis-server is not on PATH: the session store comparison is skipped (apt-get install redis-server)')
      out.push('## Session stores', '**Skipped: redis-server is not on PATH.**')
    }
  } finally {
    for (const t of targets.reverse()) await t.stop()
  }
  return out
}

/** Forward auth (nginx `auth_request`) against the gateway as the proxy; skipped without nginx. */
async function forwardAuthSection (opts: BenchOptions, upstream: Target, dir: string, progress: Progress): Promise<string[]> {
  if (!onPath('nginx')) {
    warn('nginx is not on PATH: the forward auth comparison is skipped (apt-get install nginx-light)')
    return ['## Forward auth', '**Skipped: nginx is not on PATH.**']
  }
  progress('forward auth: nginx auth_request against the gateway as the proxy')
  const { rounds, durationS, connections } = opts
  return ['## Forward auth', await forwardAuth({ upstream, dir, rounds, durationS, connections })]
}

/** The section of one identity holding many sessions (half of BENCH_SESSIONS: 50,000 by default). */
async function oneIdentity (opts: BenchOptions, progress: Progress): Promise<string[]> {
  const count = Math.max(2000, Math.round(opts.sessions / 2))
  progress(`one identity holding ${fmt(count)} sessions`)
  return ['## One identity, many sessions', await identitySessions({ count })]
}

/** The report: heading, a summary of the target lines, then the sections. */
function report (opts: BenchOptions, sectionsMd: string[]): string {
  const targetLines = sectionsMd.flatMap((s) => s.split('\n').filter((line) => line.startsWith('- Target')))
  return [
    '## Setup',
    [
      ...machineReport(ROOT, commandLine()),
      `- Options: ${opts.rounds} round${opts.rounds === 1 ? '' : 's'}, ${opts.durationS} s per load run, ${opts.connections} wrk connections, ${sizeLabel(opts.streamBytes)} streams, ` +
      `${fmt(opts.sessions)} sessions${opts.quick ? ' (BENCH_QUICK: a smoke run, not a measurement)' : ''}`,
      '- Load generator, upstream and proxies share this machine\'s cores: read the figures as comparisons.'
    ].join('\n'),
    '## Targets',
    targetLines.join('\n'),
    ...sectionsMd
  ].join('\n\n')
}

async function main (): Promise<void> {
  if (!onPath('wrk')) {
    process.stderr.write('bench: wrk is not on PATH; every load run uses it. Install it: apt-get install wrk\n')
    process.exitCode = 1
    return
  }
  const opts = benchOptions(process.env)
  const progress = createProgress()
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-'))
  try {
    const text = report(opts, await runSections(opts, dir, progress))
    process.stdout.write(`${text}\n`)
    if (process.argv.includes('--write') && opts.only === undefined) {
      writeReportBlock(join(ROOT, 'BENCHMARKS.md'), text)
      progress('BENCHMARKS.md updated')
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
