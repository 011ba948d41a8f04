import { Redis } from 'ioredis'

/** Options for {@link createRedisClient}. */
export interface RedisClientOptions {
  /** `redis://` or `rediss://` (TLS) URL; its password is never logged. */
  url: string
  connectTimeoutMs: number
  commandTimeoutMs: number
  /** Told when the connection comes and goes (once per change), without the URL. */
  onState?: (state: 'connected' | 'unavailable', detail: { host: string, error?: string }) => void
}

/**
 * An ioredis client for the shared session store. A command that gets no answer within
 * `commandTimeoutMs` (Redis down, hanging or still connecting) fails, so requests get 503 instead of
 * waiting; the connection is retried in the background, with a log line when it goes and comes back.
 */
export function createRedisClient (opts: RedisClientOptions): Redis {
  const { hostname, port } = new URL(opts.url)
  const host = `${hostname}:${port === '' ? '6379' : port}`
  const client = new Redis(opts.url, {
    connectTimeout: opts.connectTimeoutMs,
    commandTimeout: opts.commandTimeoutMs,
    // Queued while (re)connecting, but every command carries commandTimeout from the moment it is
    // issued: a request waits at most that long, then gets 503.
    enableOfflineQueue: true,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2000)
  })
  let state: 'connected' | 'unavailable' | 'closed' | undefined
  const report = (next: 'connected' | 'unavailable', error?: string): void => {
    if (state === next || state === 'closed') return
    state = next
    opts.onState?.(next, { host, ...(error === undefined ? {} : { error }) })
  }
  client.on('ready', () => report('connected'))
  // Without an `error` listener ioredis logs to the console; the message never holds the password.
  client.on('error', (err: NodeJS.ErrnoException) => report('unavailable', err.code ?? err.message))
  // `end` comes only after quit() or disconnect(): retryStrategy never gives up. The gateway closed the
  // store itself (a clean stop), so there is nothing to report: a warning here tripped log-based alerts
  // at every shutdown.
  client.on('end', () => { state = 'closed' })
  return client
}
