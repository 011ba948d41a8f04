// Session store benchmark (issue #6): proxied req/s and p99 with the in-process store against the Redis
// store, and Redis memory per session. Run with `npm run bench`. Loopback only; bounded in time.
import { spawn, type ChildProcess } from 'node:child_process'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import autocannon from 'autocannon'
import { hashPassword } from '../src/auth/password.ts'
import { createRedisClient } from '../src/session/redis-client.ts'
import { createRedisSessionStore } from '../src/session/redis-session-store.ts'
import { startRedis } from '../test/helpers/redis-server.ts'

const DURATION_S = Number(process.env.BENCH_DURATION ?? 8)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const CONNECTIONS = 50
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 100_000)
const BODY = JSON.stringify({ links: { self: '/api/v2/buckets' }, buckets: [{ id: '0000000000000001', name: 'telegraf', retentionRules: [], type: 'user' }], padding: 'x'.repeat(40) })

async function upstream (): Promise<{ url: string, close: () => void }> {
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(BODY))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => { server.closeAllConnections(); server.close() } }
}

async function gateway (dir: string, upstreamUrl: string, name: string, store: string): Promise<{ url: string, child: ChildProcess }> {
  const hash = await hashPassword('bench password')
  const file = join(dir, `${name}.yaml`)
  // The default log level: a production gateway writes one line per request, so the benchmark does too.
  writeFileSync(file, `server: { port: 0 }\nupstream: { url: "${upstreamUrl}" }\nsession: { ${store} }\nusers:\n  - { name: bench, passwordHash: "${hash}", token: "\${BENCH_TOKEN}" }\n`)
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', '--config', file], { env: { ...process.env, BENCH_TOKEN: 'bench-token' }, stdio: ['ignore', 'pipe', 'inherit'] })
  for await (const line of createInterface({ input: child.stdout! })) {
    const log = JSON.parse(line) as { msg?: string, url?: string }
    if (log.msg === 'listening' && log.url !== undefined) {
      child.stdout?.resume()
      return { url: log.url, child }
    }
  }
  throw new Error('gateway did not start')
}

async function signIn (url: string): Promise<string> {
  const res = await fetch(`${url}/api/v2/signin`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from('bench:bench password').toString('base64')}` } })
  return (res.headers.get('set-cookie') ?? '').split(';')[0] as string
}

async function load (url: string, cookie: string): Promise<{ rps: number, p50: number, p99: number }> {
  const result = await autocannon({ url: `${url}/api/v2/buckets`, connections: CONNECTIONS, duration: DURATION_S, headers: { cookie } })
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors`)
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const spread = (xs: number[]): string => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`

async function redisMemoryPerSession (redisUrl: string): Promise<number> {
  const client = createRedisClient({ url: redisUrl, connectTimeoutMs: 5000, commandTimeoutMs: 5000 })
  const used = async (): Promise<number> => Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1])
  const store = createRedisSessionStore({ client, keyPrefix: 'bench-mem:', timeouts: () => ({ idleMs: 600_000, absoluteMs: 28_800_000 }), now: Date.now })
  const before = await used()
  for (let i = 0; i < SESSIONS; i += 500) await Promise.all(Array.from({ length: 500 }, (_, j) => store.create(`user${(i + j) % 1000}`)))
  const after = await used()
  await store.close()
  return (after - before) / SESSIONS
}

async function main (): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-'))
  const up = await upstream()
  const redis = await startRedis('redis-server')
  process.env.BENCH_REDIS_URL = redis.url // the child gateways inherit it: a Redis URL is a secret in the config
  const stores = { memory: 'store: memory', redis: 'store: redis, redis: { url: "${BENCH_REDIS_URL}" }' }
  const gateways = { memory: await gateway(dir, up.url, 'memory', stores.memory), redis: await gateway(dir, up.url, 'redis', stores.redis) }
  const cookies = { memory: await signIn(gateways.memory.url), redis: await signIn(gateways.redis.url) }
  const runs: Record<'memory' | 'redis', Array<{ rps: number, p50: number, p99: number }>> = { memory: [], redis: [] }
  try {
    for (const kind of ['memory', 'redis'] as const) await load(gateways[kind].url, cookies[kind]) // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of ['memory', 'redis'] as const) runs[kind].push(await load(gateways[kind].url, cookies[kind]))
    }
    const perSession = await redisMemoryPerSession(redis.url)
    console.log(`\nSession store benchmark: ${ROUNDS} interleaved rounds of ${DURATION_S} s, ${CONNECTIONS} connections, GET /api/v2/buckets with a session cookie\n`)
    console.log('| store | req/s (median, spread) | p50 ms | p99 ms |')
    console.log('|---|---|---|---|')
    for (const kind of ['memory', 'redis'] as const) {
      const r = runs[kind]
      console.log(`| ${kind} | ${median(r.map((x) => x.rps)).toFixed(0)} (${spread(r.map((x) => x.rps))}) | ${median(r.map((x) => x.p50))} | ${median(r.map((x) => x.p99))} |`)
    }
    console.log(`\nRedis memory per session (INFO used_memory over ${SESSIONS} sessions): ${perSession.toFixed(0)} B`)
  } finally {
    for (const g of Object.values(gateways)) g.child.kill('SIGTERM')
    up.close()
    await redis.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err: unknown) => { console.error(err); process.exitCode = 1 })
