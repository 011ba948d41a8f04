// `npm run bench:profile`: the gateway CLI under `node --cpu-prof` while wrk loads the
// cookie path, then where its CPU went, per request. The .cpuprofile is kept for Chrome DevTools.
import { mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { summariseProfile, type ProfileRow } from './lib/cpu-profile.ts'
import { cpuMicros } from './lib/proc.ts'
import { BENCH_TOKEN, signIn, startGateway, startScript } from './lib/targets.ts'
import { wrk } from './lib/wrk.ts'

const PATH = '/api/v2/buckets?orgID=0000000000000002'
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10)
const TOKEN = process.argv.includes('--token')

async function main (): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-profile-'))
  const profDir = join(dir, 'profile')
  const upstream = await startScript('upstream.ts')
  const gateway = await startGateway({ dir, name: 'gateway', upstreamUrl: upstream.url, nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${profDir}`] })
  let requests = 0
  let cpuUs = 0
  try {
    const headers: Record<string, string> = TOKEN ? { authorization: `Token ${BENCH_TOKEN}` } : { cookie: await signIn(gateway.url) }
    await wrk({ url: gateway.url + PATH, connections: 50, durationS: 2, headers }) // warm-up, also profiled
    const before = cpuMicros(gateway.pid)
    const r = await wrk({ url: gateway.url + PATH, connections: 50, durationS: DURATION_S, headers })
    cpuUs = cpuMicros(gateway.pid) - before
    requests = r.requests
    console.log(`${TOKEN ? 'token passthrough' : 'session cookie'}: ${r.rps.toFixed(0)} req/s, ${(cpuUs / r.requests).toFixed(0)} CPU µs/request while profiled`)
  } finally {
    await gateway.stop() // the profile is written on exit
    await upstream.stop()
  }
  const file = join(profDir, readdirSync(profDir).find((f) => f.endsWith('.cpuprofile')) as string)
  // The profile spans start-up and warm-up too: per request is over every request it saw, roughly.
  const summary = summariseProfile(file, requests * (1 + 2 / DURATION_S))
  const table = (title: string, rows: ProfileRow[]): string => [`| ${title} | µs/request |`, '|---|---|', ...rows.map((r) => `| ${r.name} | ${r.usPerRequest.toFixed(1)} |`)].join('\n')
  console.log(`\nSelf time, idle excluded (sampled; small rows are noise):\n\n${table('owner', summary.owners)}\n\n${table('function', summary.functions)}\n\nProfile: ${file}`)
}

main().catch((err: unknown) => { console.error(err); process.exitCode = 1 })
