import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { mb, verdict } from '../lib/report-format.ts'
import { fmt } from '../lib/stats.ts'
import type { Memory, SessionMemoryResult } from '../servers/session-memory.ts'

/** Options for {@link sessions}. */
export interface SessionsOptions {
  /** Live sessions to create (the performance targets name 100,000). */
  count: number
}

const MAX_RSS_PER_SESSION = 1024

/** Runs bench/servers/session-memory.ts in a fresh `node --expose-gc` and parses its JSON line. */
async function measure (count: number): Promise<SessionMemoryResult> {
  const script = join(import.meta.dirname, '..', 'servers', 'session-memory.ts')
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', script, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => { out += String(chunk) })
  const code = await new Promise((resolve) => child.once('exit', resolve))
  const line = out.trim().split('\n').at(-1)
  if (code !== 0 || line === undefined || line === '') throw new Error(`session-memory.ts exited with ${String(code)}`)
  return JSON.parse(line) as SessionMemoryResult
}

/**
 * N live sessions in the in-process store (ioredis-mock with the expiry sweeper, as the gateway's
 * `session.store: memory`): creation time, RSS and heap per live session, and memory after they expire.
 */
export async function sessions (opts: SessionsOptions): Promise<string> {
  const r = await measure(opts.count)
  const n = r.sessions
  const per = (k: keyof Memory): number => (r.live[k] - r.before[k]) / n
  const row = (label: string, m: Memory): string => `| ${label} | ${mb(m.rss)} | ${mb(m.heapUsed)} |`
  const rssPer = per('rss')
  const lines = [
    `A fresh \`node --expose-gc\` process creates ${fmt(n)} sessions one after another (1,000 distinct user names) with the real store ` +
    '(`createRedisSessionStore` over `createMemoryRedisClient` with `createExpirySweeper`, as `session.store: memory` builds it), ' +
    'then waits until all are due and sweeps. Memory is `process.memoryUsage()` after two `gc()` calls.',
    '',
    `Idle timeout ${(r.idleMs / 1000).toFixed(1)} s: twice the creation time a ${fmt(r.pilot.sessions)}-session pilot (in a store discarded before measuring) predicted, plus 3 s. ` +
    (r.marginMs > 0 && r.liveAfterCreate === n
      ? `The last session was created ${(r.marginMs / 1000).toFixed(1)} s before the first was due: none expired during creation (${fmt(r.liveAfterCreate)} live).`
      : `**Invalid run:** creation overran the idle timeout by ${(-r.marginMs / 1000).toFixed(1)} s (${fmt(r.liveAfterCreate)} of ${fmt(n)} live).`),
    '',
    `Created ${fmt(n)} sessions in ${r.createSeconds.toFixed(2)} s: **${fmt(n / r.createSeconds)} sessions/s**. ` +
    `After they were due, the sweeper reported ${fmt(r.expiredCount)} expired and left ${fmt(r.keysLeft)} keys within ${r.sweepSeconds.toFixed(2)} s.`,
    '',
    '| | RSS MB | heap used MB |',
    '|---|---|---|',
    row('before', r.before),
    row(`${fmt(n)} live sessions`, r.live),
    row('after they expired and were swept', r.expired),
    `| per live session | **${fmt(rssPer)} B** | ${fmt(per('heapUsed'))} B |`,
    `| given back after expiry | ${mb(r.live.rss - r.expired.rss)} (${pct(r.live.rss - r.expired.rss, r.live.rss - r.before.rss)}) | ${mb(r.live.heapUsed - r.expired.heapUsed)} (${pct(r.live.heapUsed - r.expired.heapUsed, r.live.heapUsed - r.before.heapUsed)}) |`,
    '',
    `- Target ≤ 1 KiB of RSS per live session: ${verdict(rssPer <= MAX_RSS_PER_SESSION)} (${fmt(rssPer)} B).`
  ]
  return lines.join('\n')
}

/** `part` as a percentage of `whole` (what was given back of what the sessions took). */
const pct = (part: number, whole: number): string => `${whole > 0 ? ((100 * part) / whole).toFixed(0) : '—'} % of the growth`
