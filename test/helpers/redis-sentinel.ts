import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { freePort, startRedis, type RedisServer } from './redis-server.ts'
import { serverStopper } from './stop-server.ts'

/** Longest wait for the topology to form (replica in sync, Sentinels knowing each other and the replica). */
const READY_TIMEOUT_MS = 30_000
/** Longest wait for a failover the test provoked. */
const SWITCH_TIMEOUT_MS = 30_000
/** Pause between two looks at a condition that has no event of its own (a bounded condition wait). */
const POLL_MS = 50

/** Options for {@link startSentinelTopology}. */
export interface SentinelTopologyOptions {
  /** The `redis-server` binary (see test/helpers/binaries.ts). */
  redisServer: string
  /** The `redis-sentinel` binary. */
  redisSentinel: string
  /** The master group name; default `gateway`. */
  name?: string
  /** `requirepass` (and `masterauth`) of the primary and the replica. */
  password?: string
  /** `requirepass` of the Sentinels. */
  sentinelPassword?: string
}

/** A primary, one replica and three Sentinels on 127.0.0.1, each started by this test process. */
export interface SentinelTopology {
  name: string
  /** `host:port` of each Sentinel, as `session.redis.sentinels` takes them. */
  sentinels: string[]
  primary: RedisServer
  replica: RedisServer
  /** `host:port` the Sentinels name as the primary now. */
  primaryAddress (): Promise<string>
  /**
   * Subscribes to `+switch-master` on a Sentinel; once subscribed, resolves to `switched`: the new primary's
   * `host:port` at the next failover (rejects after {@link SWITCH_TIMEOUT_MS} without one).
   */
  watchSwitch (): Promise<{ switched: Promise<string> }>
  /**
   * Starts the first primary again on its port, after a failover (it was killed): the Sentinels make it a
   * replica of the new primary. Resolves once it is one and in sync.
   */
  revivePrimary (): Promise<RedisServer>
  /** Stops every process it started (by PID) and removes their directories. Safe to call twice. */
  stop (): Promise<void>
}

/**
 * Starts a Redis primary, a replica of it and three Sentinels (quorum 2, `down-after-milliseconds` 1000,
 * `failover-timeout` 3000), each Sentinel with a config file of its own in a temp dir (Sentinel rewrites
 * it), and resolves once the replica is in sync and every Sentinel knows the replica and the two others:
 * before that a failover could not be agreed. Register `t.after(() => topology.stop())`.
 */
export async function startSentinelTopology (opts: SentinelTopologyOptions): Promise<SentinelTopology> {
  const name = opts.name ?? 'gateway'
  const stops: Array<() => Promise<void>> = []
  const clients: Redis[] = []
  const stop = async (): Promise<void> => {
    for (const c of clients.splice(0)) c.disconnect()
    for (const s of stops.splice(0).reverse()) await s()
  }
  try {
    const primary = await startRedis(opts.redisServer)
    stops.push(primary.stop)
    const replica = await startRedis(opts.redisServer, undefined, ['--replicaof', '127.0.0.1', String(primary.port)])
    stops.push(replica.stop)
    if (opts.password !== undefined) {
      // Set once both run: the helper's own PING readiness check needs no password.
      for (const r of [primary, replica]) await protect(r, opts.password)
    }
    const ports = await Promise.all([freePort(), freePort(), freePort()])
    for (const port of ports) stops.push(startSentinel(opts.redisSentinel, port, name, primary.port, opts))
    const sentinel = (port: number): Redis => {
      const c = new Redis({ host: '127.0.0.1', port, password: opts.sentinelPassword, lazyConnect: true, maxRetriesPerRequest: 0 })
      c.on('error', () => {})
      clients.push(c)
      return c
    }
    const observers = ports.map(sentinel)
    const data = new Redis({ host: '127.0.0.1', port: replica.port, password: opts.password, maxRetriesPerRequest: 0 })
    data.on('error', () => {})
    clients.push(data)
    await until('the replica in sync and every Sentinel knowing the replica and the two others', async () => {
      const info = await data.info('replication')
      if (!info.includes('master_link_status:up')) return false
      for (const s of observers) {
        const peers = await s.call('SENTINEL', 'SENTINELS', name) as unknown[]
        const replicas = await s.call('SENTINEL', 'REPLICAS', name) as string[][]
        if (peers.length !== 2 || replicas.length !== 1 || !(replicas[0] ?? []).includes('slave')) return false
      }
      return true
    })
    data.disconnect()
    const first = observers[0] as Redis
    const revivePrimary = async (): Promise<RedisServer> => {
      const revived = await startRedis(opts.redisServer, primary.port)
      stops.push(revived.stop)
      if (opts.password !== undefined) await protect(revived, opts.password)
      const probe = new Redis({ host: '127.0.0.1', port: primary.port, password: opts.password, maxRetriesPerRequest: 0 })
      probe.on('error', () => {})
      clients.push(probe)
      await until('revived primary turned replica and in sync', async () => {
        const info = await probe.info('replication')
        return info.includes('role:slave') && info.includes('master_link_status:up')
      })
      probe.disconnect()
      return revived
    }
    return {
      name,
      sentinels: ports.map((p) => `127.0.0.1:${p}`),
      primary,
      replica,
      async primaryAddress () {
        const [host, port] = await first.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name) as [string, string]
        return `${host}:${port}`
      },
      watchSwitch: async () => await watchSwitch(sentinel(ports[1] as number), name),
      revivePrimary,
      stop
    }
  } catch (err) {
    await stop()
    throw err
  }
}

async function protect (redis: RedisServer, password: string): Promise<void> {
  // masterauth too: the primary becomes a replica when it comes back after a failover.
  await redis.command('CONFIG', 'SET', 'masterauth', password)
  await redis.command('CONFIG', 'SET', 'requirepass', password)
}

/** Starts one `redis-sentinel` with its own writable config file; returns its stop function. */
function startSentinel (binary: string, port: number, name: string, primaryPort: number, opts: SentinelTopologyOptions): () => Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-sentinel-'))
  const file = join(dir, 'sentinel.conf')
  const lines = [
    'bind 127.0.0.1', `port ${port}`, `dir ${dir}`,
    `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 2`,
    `sentinel down-after-milliseconds ${name} 1000`,
    `sentinel failover-timeout ${name} 3000`,
    ...(opts.password === undefined ? [] : [`sentinel auth-pass ${name} ${opts.password}`]),
    ...(opts.sentinelPassword === undefined ? [] : [`requirepass ${opts.sentinelPassword}`, `sentinel sentinel-pass ${opts.sentinelPassword}`])
  ]
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 })
  const child = spawn(binary, [file], { stdio: 'ignore' })
  return serverStopper(child, dir)
}

async function watchSwitch (subscriber: Redis, name: string): Promise<{ switched: Promise<string> }> {
  await subscriber.subscribe('+switch-master')
  const switched = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no +switch-master within ${SWITCH_TIMEOUT_MS} ms`)), SWITCH_TIMEOUT_MS)
    subscriber.on('message', (_channel, message: string) => {
      // "<name> <old ip> <old port> <new ip> <new port>"
      const [group, , , host, port] = message.split(' ')
      if (group !== name) return
      clearTimeout(timer)
      resolve(`${host ?? ''}:${port ?? ''}`)
    })
  })
  return { switched }
}

/** Looks at `condition` until it holds (errors count as not yet), at most {@link READY_TIMEOUT_MS}. */
async function until (what: string, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (await condition().catch(() => false)) return
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
  throw new Error(`Sentinel topology: no ${what} within ${READY_TIMEOUT_MS} ms`)
}
