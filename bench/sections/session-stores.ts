import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createRedisClient } from '../../src/session/redis-client.ts'
import { createRedisSessionStore } from '../../src/session/redis-session-store.ts'
import { startRedis } from '../../test/helpers/redis-server.ts'
import { fmt, median, spread } from '../lib/stats.ts'
import { signIn, startGateway, type Target } from '../lib/targets.ts'
import { wrk } from '../lib/wrk.ts'
import { randomBytes } from 'node:crypto'
import { createRecordSigner } from '../../src/session/record-signer.ts'

/** Options for {@link sessionStores}. */
export interface SessionStoresOptions {
  upstreamUrl: string
  /** Where the two gateways' configs and logs go. */
  dir: string
  rounds: number
  durationS: number
  connections: number
  /** Sessions created in Redis for the bytes-per-session figure. */
  sessions: number
}

type Store = 'memory' | 'redis'
interface Run { rps: number, p50: number, p99: number }

const PATH = '/api/v2/buckets?orgID=0000000000000002'
const STORE_NAMES: Record<Store, string> = { memory: 'in-process (ioredis-mock)', redis: 'Redis (ioredis, loopback)' }

/** Redis `used_memory` growth per session over `count` sessions written through the real store. */
async function redisBytesPerSession (redisUrl: string, count: number): Promise<number> {
  const client = createRedisClient({ url: redisUrl, connectTimeoutMs: 5000, commandTimeoutMs: 5000 })
  const used = async (): Promise<number> => Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1])
  const store = createRedisSessionStore({ client, keyPrefix: 'bench-mem:', timeouts: () => ({ idleMs: 600_000, absoluteMs: 28_800_000 }), now: Date.now, signer: createRecordSigner({ key: randomBytes(32) }) })
  try {
    const before = await used()
    for (let i = 0; i < count; i += 500) {
      await Promise.all(Array.from({ length: Math.min(500, count - i) }, (_, j) => store.create(`user${(i + j) % 1000}`)))
    }
    return (await used() - before) / count
  } finally {
    await store.close()
  }
}

/**
 * The cookie path through a gateway with the in-process store and one with the Redis store
 * (a redis-server of its own), in interleaved wrk rounds, then Redis memory per session.
 */
export async function sessionStores (opts: SessionStoresOptions): Promise<string> {
  const redis = await startRedis('redis-server')
  const gateways: Partial<Record<Store, Target>> = {}
  const runs: Record<Store, Run[]> = { memory: [], redis: [] }
  try {
    gateways.memory = await startGateway({ dir: opts.dir, name: 'store-memory', upstreamUrl: opts.upstreamUrl, extra: 'session: { store: memory }\n' })
    // The config refuses a Redis URL written inline (it may hold a password): the gateway reads it from a file.
    const urlFile = join(opts.dir, 'redis-url')
    writeFileSync(urlFile, redis.url)
    // Likewise the key that signs its records, which the Redis store requires.
    const keyFile = join(opts.dir, 'record-key')
    writeFileSync(keyFile, randomBytes(32).toString('base64url'))
    const session = `session: { store: redis, recordKey: { file: "${keyFile}" }, redis: { url: { file: "${urlFile}" } } }\n`
    gateways.redis = await startGateway({ dir: opts.dir, name: 'store-redis', upstreamUrl: opts.upstreamUrl, extra: session })
    const targets = { memory: gateways.memory, redis: gateways.redis }
    const cookies = { memory: await signIn(targets.memory.url), redis: await signIn(targets.redis.url) }
    const load = async (store: Store, durationS: number): Promise<Run> => {
      const r = await wrk({ url: targets[store].url + PATH, connections: opts.connections, durationS, headers: { cookie: cookies[store] } })
      if (r.errors > 0) throw new Error(`${STORE_NAMES[store]}: ${r.errors} errors or non-2xx answers`)
      return { rps: r.rps, p50: r.p50, p99: r.p99 }
    }
    for (const store of ['memory', 'redis'] as const) await load(store, 2) // warm-up
    for (let round = 0; round < opts.rounds; round++) {
      for (const store of ['memory', 'redis'] as const) runs[store].push(await load(store, opts.durationS))
    }
    const perSession = await redisBytesPerSession(redis.url, opts.sessions)
    return report(opts, runs, perSession)
  } finally {
    for (const g of Object.values(gateways)) await g.stop()
    await redis.stop()
  }
}

function report (opts: SessionStoresOptions, runs: Record<Store, Run[]>, perSession: number): string {
  const med = (store: Store, k: keyof Run): number => median(runs[store].map((r) => r[k]))
  const lines = [
    `Two gateways alike but for \`session.store\` (memory; redis, against a redis-server of their own on loopback), \`wrk -t1 -c${opts.connections} -d${opts.durationS}s\` on ` +
    `\`GET ${PATH}\` with a session cookie, ${opts.rounds} interleaved round${opts.rounds === 1 ? '' : 's'} after a warm-up, medians (min–max).`,
    '',
    '| session store | req/s | p50 ms | p99 ms | ÷ in-process |',
    '|---|---|---|---|---|'
  ]
  for (const store of ['memory', 'redis'] as const) {
    lines.push(`| ${STORE_NAMES[store]} | ${fmt(med(store, 'rps'))} (${spread(runs[store].map((r) => r.rps))}) | ${med(store, 'p50').toFixed(2)} | ${med(store, 'p99').toFixed(2)} | ${(med(store, 'rps') / med('memory', 'rps')).toFixed(2)} |`)
  }
  lines.push('', `Redis memory: **${fmt(perSession)} bytes per session** (\`INFO memory\` \`used_memory\` before and after ${fmt(opts.sessions)} sessions created through the store).`)
  return lines.join('\n')
}
