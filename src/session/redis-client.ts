import { Redis, type RedisOptions } from 'ioredis'

/** One Redis, by URL. */
export interface RedisUrlTarget {
  /** `redis://` or `rediss://` (TLS) URL; its password is never logged. */
  url: string
}

/** A Redis primary found through Sentinel, followed through its failovers. */
export interface RedisSentinelTarget {
  /** `host:port` of each Sentinel. */
  sentinels: string[]
  /** The master group name the Sentinels monitor. */
  name: string
  /** The primary's (and replicas') password; never logged. */
  password?: string
  /** The Sentinels' own password; never logged. */
  sentinelPassword?: string
}

/** Options for {@link createRedisClient}. */
export type RedisClientOptions = (RedisUrlTarget | RedisSentinelTarget) & {
  connectTimeoutMs: number
  commandTimeoutMs: number
  /** Told when the connection comes and goes (once per change), with `host:port` of the Redis reached, never a password. */
  onState?: (state: 'connected' | 'unavailable', detail: { host: string, error?: string }) => void
}

/**
 * An ioredis client for the shared session store. A command that gets no answer within
 * `commandTimeoutMs` (Redis down, hanging, still connecting or failing over) fails, so requests get 503
 * instead of waiting; the connection is retried in the background, with a log line when it goes and comes back.
 * With Sentinel the client asks the Sentinels for the primary at every (re)connection, and drops its
 * connection when they announce a new one: the gateway follows a failover without a restart.
 * `duplicate()` copies all of this (the connection the store runs its transactions on).
 */
export function createRedisClient (opts: RedisClientOptions): Redis {
  const common: RedisOptions = {
    connectTimeout: opts.connectTimeoutMs,
    commandTimeout: opts.commandTimeoutMs,
    // Queued while (re)connecting, but every command carries commandTimeout from the moment it is
    // issued: a request waits at most that long, then gets 503.
    enableOfflineQueue: true,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2000),
    // A demoted primary (or a URL that now names a replica) answers writes with READONLY: the command
    // fails (503) and the client reconnects, which with Sentinel reaches the new primary.
    reconnectOnError: isReadOnlyError
  }
  const client = 'url' in opts ? new Redis(opts.url, common) : new Redis({ ...common, ...sentinelOptions(opts) })
  const configured = 'url' in opts ? urlHost(opts.url) : `sentinel group ${opts.name}`
  let state: 'connected' | 'unavailable' | 'closed' | undefined
  const report = (next: 'connected' | 'unavailable', host: string, error?: string): void => {
    if (state === next || state === 'closed') return
    state = next
    opts.onState?.(next, { host, ...(error === undefined ? {} : { error }) })
  }
  // With Sentinel, the address actually reached: the primary of the moment.
  const reached = (): string => {
    if ('url' in opts) return configured
    const { remoteAddress, remotePort } = client.stream
    return remoteAddress === undefined ? configured : `${remoteAddress}:${remotePort ?? ''}`
  }
  client.on('ready', () => report('connected', reached()))
  // Without an `error` listener ioredis logs to the console; the message never holds the password.
  client.on('error', (err: NodeJS.ErrnoException) => report('unavailable', configured, err.code ?? err.message))
  // `end` comes only after quit() or disconnect(): retryStrategy never gives up. The gateway closed the
  // store itself (a clean stop), so there is nothing to report: a warning here tripped log-based alerts
  // at every shutdown.
  client.on('end', () => { state = 'closed' })
  return client
}

/** Whether a reply says the server is a read-only replica (`READONLY You can't write against a read only replica.`). */
function isReadOnlyError (err: Error): boolean {
  return err.message.startsWith('READONLY')
}

function sentinelOptions (target: RedisSentinelTarget): RedisOptions {
  return {
    sentinels: target.sentinels.map(parseAddress),
    name: target.name,
    role: 'master',
    ...(target.password === undefined ? {} : { password: target.password }),
    ...(target.sentinelPassword === undefined ? {} : { sentinelPassword: target.sentinelPassword }),
    // Subscribes to the Sentinels' +switch-master: a primary that is demoted while still reachable is left at once.
    failoverDetector: true
  }
}

/** `host:port` (or `[v6]:port`, as the config schema accepts) → what ioredis takes. */
function parseAddress (address: string): { host: string, port: number } {
  const colon = address.lastIndexOf(':')
  return { host: address.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(colon + 1)) }
}

function urlHost (url: string): string {
  const { hostname, port } = new URL(url)
  return `${hostname}:${port === '' ? '6379' : port}`
}
