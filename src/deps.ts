import type { Logger } from 'pino'
import type { AppDeps } from './app.ts'
import { createFileUserStore } from './auth/file-user-store.ts'
import type { Config } from './config/schema.ts'
import { cidrBlockList } from './config/schema-types.ts'
import { createInfluxProxy } from './proxy/influx-proxy.ts'
import { upstreamErrorKind } from './proxy/upstream-errors.ts'
import { createCredentialBuilder } from './proxy/upstream-credential.ts'
import { createExpirySweeper } from './session/expiry-sweeper.ts'
import { createMemoryRedisClient } from './session/memory-redis-client.ts'
import { createRedisSessionStore } from './session/redis-session-store.ts'
import { sessionRef } from './session/session-id.ts'

/** What `createDeps` needs besides the config. */
export interface DepsOptions {
  logger: Logger
  now?: () => number
}

/** Built dependencies plus a way to release them. */
export interface Deps extends AppDeps {
  close (): Promise<void>
}

/** The only place that picks implementations: the in-process session store and the file users. */
export function createDeps (config: Config, opts: DepsOptions): Deps {
  const now = opts.now ?? Date.now
  const { logger } = opts
  const { name, path, sameSite, secure } = config.session.cookie
  const cookie = { name, path, secure, sameSite: sameSite === 'lax' ? 'Lax' : 'Strict' } as const
  const client = createMemoryRedisClient()
  const sweeper = createExpirySweeper({
    client,
    now,
    onExpired: (key, user) => logger.info({ audit: 'session', user, session: sessionRef(key), reason: 'expired' }, 'session ended'),
    onError: (err) => logger.warn({ err }, 'session expiry sweep failed')
  })
  const sessions = createRedisSessionStore({
    client,
    keyPrefix: 'influx-gateway:',
    idleTimeoutMs: config.session.idleTimeout,
    absoluteTimeoutMs: config.session.absoluteTimeout,
    now,
    sweeper
  })
  const proxy = createInfluxProxy({
    upstreamUrl: config.upstream.url,
    timeoutMs: config.upstream.timeout,
    cookieName: cookie.name,
    onUpstreamError: (err, req) => logger.warn({ kind: upstreamErrorKind(err), method: req.method }, 'upstream request failed')
  })
  return {
    config,
    logger,
    now,
    cookie,
    trustedProxies: cidrBlockList(config.server.trustProxy),
    users: createFileUserStore({ users: config.users }),
    sessions,
    proxy,
    credentials: createCredentialBuilder({ jwtSharedSecret: config.upstream.jwtSharedSecret, now }),
    async close () {
      proxy.close()
      await sessions.close()
    }
  }
}
