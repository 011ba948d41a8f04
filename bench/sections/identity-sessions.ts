import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fmt } from '../lib/stats.ts'
import type { IdentitySessionsResult, Timing } from '../servers/identity-sessions.ts'

/** Options for {@link identitySessions}. */
export interface IdentitySessionsOptions {
  /** Sessions the one identity holds at the end. */
  count: number
}

/** Runs bench/servers/identity-sessions.ts in a fresh process and parses its JSON line. */
async function measure (count: number): Promise<IdentitySessionsResult> {
  const script = join(import.meta.dirname, '..', 'servers', 'identity-sessions.ts')
  const child = spawn(process.execPath, ['--import', 'tsx', script, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => { out += String(chunk) })
  const code = await new Promise((resolve) => child.once('exit', resolve))
  const line = out.trim().split('\n').at(-1)
  if (code !== 0 || line === undefined || line === '') throw new Error(`identity-sessions.ts exited with ${String(code)}`)
  return JSON.parse(line) as IdentitySessionsResult
}

/** The minted index read on a mint sign-in and on a request with an unknown cookie stays flat. */
const mintedFlat = (r: IdentitySessionsResult): boolean => r.mintSignin.p50 <= 2 * r.mintSigninFirst.p50 && r.unknownCookie.p50 <= 2 * r.request.p50

const ms = (t: Timing): string => `${t.p50.toFixed(3)} | ${t.p99.toFixed(3)}`

/**
 * One identity signing in N times with no cap (`session.maxPerIdentity: 0`, the worst case) in the
 * in-process store: what one sign-in's store work costs among its first and its last 1,000 sessions,
 * and what a request's store lookup costs once the identity holds them all. ioredis-mock answers
 * synchronously, so each figure is also how long the event loop was held.
 */
export async function identitySessions (opts: IdentitySessionsOptions): Promise<string> {
  const r = await measure(opts.count)
  return [
    `A fresh process signs one identity in ${fmt(r.sessions)} times, one after another, with the real in-process store ` +
    '(`createRedisSessionStore` over `createMemoryRedisClient`, `maxPerIdentity: 0`), timing each `create` (a sign-in\'s ' +
    'store work) and then 1,000 renewing `get`s of another user\'s session (a request\'s); then, in another store, ' +
    `${fmt(r.mintedSessions)} users sign in once each under a minting rule (each session holds a token) and 1,000 requests ` +
    'present random well-formed session ids.',
    '',
    '| store operation | p50 ms | p99 ms |',
    '|---|---|---|',
    `| sign-in, among the identity's first 1,000 sessions | ${ms(r.signinFirst)} |`,
    `| sign-in, among its last 1,000 (${fmt(r.sessions)} held) | ${ms(r.signinLast)} |`,
    `| request lookup, ${fmt(r.sessions)} held by another identity | ${ms(r.request)} |`,
    `| sign-in past the default cap of 10 (each ends the oldest; a separate store) | ${ms(r.signinCapped)} |`,
    `| mint sign-in, among the first 1,000 of ${fmt(r.mintedSessions)} users' (a third store: each session holds a token) | ${ms(r.mintSigninFirst)} |`,
    `| mint sign-in, among the last 1,000 (${fmt(r.mintedSessions)} sessions hold tokens) | ${ms(r.mintSignin)} |`,
    `| request with a well-formed cookie no session has (expired, or a guess), ${fmt(r.mintedSessions)} tokens held | ${ms(r.unknownCookie)} |`,
    '',
    `All ${fmt(r.sessions)} created in ${r.createSeconds.toFixed(1)} s; the longest single sign-in took ${r.longestSigninMs.toFixed(1)} ms ` +
    '(a garbage collection or the JIT: the p50 is what grows, or not, with the sessions).',
    '',
    '- Target: a sign-in\'s store work does not grow with the identity\'s sessions (last p50 ≤ 2 × first p50): ' +
    `${r.signinLast.p50 <= 2 * r.signinFirst.p50 ? '**met**' : '**MISSED**'}.`,
    '- Target: neither a mint sign-in nor a request with an unknown cookie grows with the sessions holding tokens ' +
    `(last mint sign-in p50 ≤ 2 × first; unknown cookie p50 ≤ 2 × the request lookup's): ${mintedFlat(r) ? '**met**' : '**MISSED**'}.`
  ].join('\n')
}
