// The in-process session store's memory, in a process of its own so the bench's heap stays out of
// the figures. Run by bench/sections/sessions.ts as
//   node --expose-gc --import tsx bench/servers/session-memory.ts N
// and prints one JSON line ({@link SessionMemoryResult}) at the end.
import { createExpirySweeper, type ExpirySweeper } from '../../src/session/expiry-sweeper.ts'
import { createMemoryRedisClient } from '../../src/session/memory-redis-client.ts'
import { createRedisSessionStore } from '../../src/session/redis-session-store.ts'
import type { SessionStore } from '../../src/session/session-store.ts'
import { randomBytes } from 'node:crypto'
import { createRecordSigner } from '../../src/session/record-signer.ts'

/** Process memory after two full GCs, bytes. */
export interface Memory { rss: number, heapUsed: number }

/** What the child prints. */
export interface SessionMemoryResult {
  sessions: number
  pilot: { sessions: number, seconds: number }
  idleMs: number
  createSeconds: number
  /** Sessions live right after the last was created (all of them, unless some expired meanwhile). */
  liveAfterCreate: number
  /** How long before the first session was due the last one was created, ms (negative: some were due). */
  marginMs: number
  before: Memory
  live: Memory
  expired: Memory
  /** Expiries reported by the sweeper, and seconds from the last due time until none was left. */
  expiredCount: number
  sweepSeconds: number
  /** Keys left in the in-process Redis after the sweep (0 expected). */
  keysLeft: number
}

const ABSOLUTE_MS = 8 * 3600_000
const PILOT = 2000
const gc = globalThis.gc
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))

async function settle (): Promise<Memory> {
  if (gc === undefined) throw new Error('run with --expose-gc')
  for (let i = 0; i < 2; i++) {
    gc()
    await sleep(50)
  }
  const { rss, heapUsed } = process.memoryUsage()
  return { rss, heapUsed }
}

/** The store as `createStoreClient` in src/deps/store-client.ts builds it for `session.store: memory`. */
function openStore (idleMs: number, onExpired?: () => void): { store: SessionStore, sweeper: ExpirySweeper, indexSweeper: ExpirySweeper, dbsize: () => Promise<number> } {
  const client = createMemoryRedisClient()
  const sweeper = createExpirySweeper({ client, now: Date.now, onExpired })
  const indexSweeper = createExpirySweeper({ client, now: Date.now })
  const store = createRedisSessionStore({
    client, keyPrefix: 'influx-gateway:', timeouts: () => ({ idleMs, absoluteMs: ABSOLUTE_MS }), now: Date.now, sweeper, signer: createRecordSigner({ key: randomBytes(32) }), indexSweeper
  })
  return { store, sweeper, indexSweeper, dbsize: () => client.dbsize() }
}

/** Creates `n` sessions one after another (as sign-ins do), for 1,000 distinct user names; seconds. */
async function createSessions (store: SessionStore, n: number): Promise<number> {
  const start = performance.now()
  for (let i = 0; i < n; i++) await store.create(`user${i % 1000}`)
  return (performance.now() - start) / 1000
}

async function main (n: number): Promise<SessionMemoryResult> {
  // Pilot: warms up the JIT and estimates the creation rate, in a store thrown away before measuring.
  const pilot = openStore(60_000)
  const pilotSeconds = await createSessions(pilot.store, Math.min(PILOT, n))
  await pilot.store.close()
  // Twice the predicted creation time plus 3 s: none is due before the last one is created.
  const idleMs = Math.ceil((2 * pilotSeconds / Math.min(PILOT, n)) * n * 1000 + 3000)
  const before = await settle()
  let expiredCount = 0
  const { store, sweeper, indexSweeper, dbsize } = openStore(idleMs, () => { expiredCount++ })
  const startedAt = Date.now()
  const createSeconds = await createSessions(store, n)
  const finishedAt = Date.now()
  const liveAfterCreate = sweeper.sessions()
  const live = await settle()
  await sleep(finishedAt + idleMs + 10 - Date.now()) // every session is due now
  const sweepStart = performance.now()
  // An expired session leaves its user's index in the background: done when the index's keys are gone too.
  while (sweeper.size() + indexSweeper.size() > 0 && performance.now() - sweepStart < 60_000) {
    await sweeper.sweep()
    if (sweeper.size() + indexSweeper.size() > 0) await sleep(10)
  }
  const sweepSeconds = (performance.now() - sweepStart) / 1000
  const keysLeft = await dbsize()
  const expired = await settle()
  await store.close()
  return {
    sessions: n,
    pilot: { sessions: Math.min(PILOT, n), seconds: pilotSeconds },
    idleMs,
    createSeconds,
    liveAfterCreate,
    marginMs: startedAt + idleMs - finishedAt,
    before,
    live,
    expired,
    expiredCount,
    sweepSeconds,
    keysLeft
  }
}

main(Number(process.argv[2] ?? 100_000)).then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (err: unknown) => { console.error(err); process.exitCode = 1 }
)
