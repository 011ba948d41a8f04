import { randomBytes } from 'node:crypto'
// One identity holding N sessions in the in-process store, in a process of its own. Run by
// bench/sections/identity-sessions.ts as
//   node --import tsx bench/servers/identity-sessions.ts N [M]
// (M: how many sessions hold a minted token in the second store, default N) and prints one JSON line
// ({@link IdentitySessionsResult}) at the end.
import { createExpirySweeper } from '../../src/session/expiry-sweeper.ts'
import { createMemoryRedisClient } from '../../src/session/memory-redis-client.ts'
import { createRedisSessionStore, type RedisSessionStoreOptions } from '../../src/session/redis-session-store.ts'
import type { MintedAuthorization } from '../../src/session/session-store.ts'
import { percentile } from '../lib/stats.ts'
import { createRecordSigner } from '../../src/session/record-signer.ts'
import { newSessionId } from '../../src/session/session-id.ts'

/** Milliseconds per operation: median and 99th percentile. */
export interface Timing { p50: number, p99: number }

/** What the child prints. */
export interface IdentitySessionsResult {
  sessions: number
  /** One sign-in's store work (`create`) among the first 1,000 of the identity's sessions, and among the last 1,000. */
  signinFirst: Timing
  signinLast: Timing
  /** The request path's store work (`get` of another user's session, renewing) once the identity holds them all. */
  request: Timing
  /** A sign-in past the default cap (`maxPerIdentity: 10`): each one ends the identity's oldest session. */
  signinCapped: Timing
  /** The longest single `create`: ioredis-mock answers synchronously, so this is how long it blocked the event loop. */
  longestSigninMs: number
  createSeconds: number
  /** How many sessions (one per user) hold a minted token in the second store. */
  mintedSessions: number
  /** A sign-in whose rule mints (`create` keeping an authorization), among the first 1,000 of them and the last 1,000. */
  mintSigninFirst: Timing
  mintSignin: Timing
  /** A request presenting a well-formed session id that no session has (expired, or an attacker's guess). */
  unknownCookie: Timing
}

const WINDOW = 1000

/** The store as `session.store: memory` builds it; no cap (`maxPerIdentity: 0`) is the worst case. */
function openStore (cap: number): ReturnType<typeof createRedisSessionStore> {
  const client = createMemoryRedisClient()
  const opts: RedisSessionStoreOptions = {
    client,
    keyPrefix: 'influx-gateway:',
    timeouts: () => ({ idleMs: 3600_000, absoluteMs: 8 * 3600_000 }),
    maxPerIdentity: () => cap,
    now: Date.now,
    signer: createRecordSigner({ key: randomBytes(32) }),
    sweeper: createExpirySweeper({ client, now: Date.now }),
    indexSweeper: createExpirySweeper({ client, now: Date.now })
  }
  return createRedisSessionStore(opts)
}

const timing = (ms: number[]): Timing => ({ p50: percentile(ms, 50), p99: percentile(ms, 99) })

async function main (n: number, m: number): Promise<IdentitySessionsResult> {
  const store = openStore(0)
  const other = await store.create('bob')
  const first: number[] = []
  const last: number[] = []
  let longest = 0
  const start = performance.now()
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await store.create('alice')
    const ms = performance.now() - t0
    longest = Math.max(longest, ms)
    if (i < WINDOW) first.push(ms)
    else if (i >= n - WINDOW) last.push(ms)
  }
  const createSeconds = (performance.now() - start) / 1000
  const request: number[] = []
  for (let i = 0; i < WINDOW; i++) {
    const t0 = performance.now()
    await store.get(other.id)
    request.push(performance.now() - t0)
  }
  await store.close()
  const capped = openStore(10)
  const signinCapped: number[] = []
  for (let i = 0; i < 10 + WINDOW; i++) {
    const t0 = performance.now()
    await capped.create('carol')
    if (i >= 10) signinCapped.push(performance.now() - t0)
  }
  await capped.close()
  return {
    ...await mintedSessions(m),
    sessions: n,
    signinFirst: timing(first),
    signinLast: timing(last),
    request: timing(request),
    signinCapped: timing(signinCapped),
    longestSigninMs: longest,
    createSeconds
  }
}

/** `m` users signing in under a minting rule, then requests with cookies of sessions that do not exist. */
async function mintedSessions (m: number): Promise<Pick<IdentitySessionsResult, 'mintedSessions' | 'mintSigninFirst' | 'mintSignin' | 'unknownCookie'>> {
  const store = openStore(0)
  const first: number[] = []
  const signin: number[] = []
  for (let i = 0; i < m; i++) {
    const attach = async (): Promise<MintedAuthorization> => ({ authId: `0${String(i).padStart(15, '0')}`, sealed: 'sealed', spec: 'spec' })
    const t0 = performance.now()
    await store.create(`user-${i}`, undefined, undefined, attach)
    const ms = performance.now() - t0
    if (i < WINDOW) first.push(ms)
    if (i >= m - WINDOW) signin.push(ms)
  }
  const unknown: number[] = []
  for (let i = 0; i < WINDOW; i++) {
    const id = newSessionId()
    const t0 = performance.now()
    await store.get(id)
    unknown.push(performance.now() - t0)
  }
  await store.close()
  return { mintedSessions: m, mintSigninFirst: timing(first), mintSignin: timing(signin), unknownCookie: timing(unknown) }
}

const n = Number(process.argv[2] ?? 50_000)
main(n, Number(process.argv[3] ?? n)).then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (err: unknown) => { console.error(err); process.exitCode = 1 }
)
