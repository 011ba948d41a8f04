import type { Logger } from 'pino'
import type { AppDeps } from './app-deps.ts'
import { createHashLimiter } from './auth/hash-limiter.ts'
import { createIdentityRefresher } from './auth/identity-refresher.ts'
import type { IdentitySource } from './auth/identity-source.ts'
import { createOidcClient, type OidcClient } from './auth/oidc-client.ts'
import type { Config } from './config/schema.ts'
import { createConfigDerived, type ConfigDerived, type ConfigDerivedOptions } from './deps/config-derived.ts'
import { createRecordSigning } from './deps/record-signing.ts'
import { createStoreClient, FAULT_LOG_INTERVAL_MS, type StoreClient } from './deps/store-client.ts'
import { createTokenMinting } from './deps/token-minting.ts'
import { createImplicitSessions } from './mint/implicit-sessions.ts'
import { createInfluxProxy, type InfluxProxy } from './proxy/influx-proxy.ts'
import { createFaultLog, type FaultLog } from './observability/fault-log.ts'
import { createMetrics } from './observability/metrics.ts'
import { errorCode, upstreamFailure } from './proxy/upstream-errors.ts'
import { createUpstreamVersion } from './proxy/upstream-version.ts'
import { createCachedSessionStore, touchAfterMs, type CachedSessionStore } from './session/cached-session-store.ts'
import { createPendingFlowLimit } from './session/pending-flow-limit.ts'
import { createRedisSessionStore } from './session/redis-session-store.ts'
import { createRedisSigninThrottle } from './session/redis-signin-throttle.ts'
import type { RecordSigner } from './session/record-signer.ts'
import type { SigninThrottle } from './session/signin-throttle.ts'
import { createSignInFlowStore } from './session/sign-in-flow-store.ts'

/** On stop, the in-process store's minted tokens get this long to be deleted. */
const MINT_CLOSE_GRACE_MS = 5000

/** Sessions cached in process (about 1 KB each): more than the busiest gateway has live at once. */
const SESSION_CACHE_ENTRIES = 50_000

/**
 * Sign-in flows at an identity provider pending at once in process (about 5 KB each with a long
 * `returnTo`): far more than people start within `oidc.flowTimeout`, far less than fills the memory.
 */
const PENDING_FLOWS = 10_000

/** What `createDeps` needs besides the config. */
export interface DepsOptions {
  logger: Logger
  now?: () => number
}

/** Built dependencies plus a way to swap the configuration and to release them. */
export interface Deps extends AppDeps {
  sessions: CachedSessionStore
  /** The directory, when `ldap:` is configured (what `refresher` asks). */
  ldap?: IdentitySource
  /**
   * Applies a new configuration to everything that reads it per request: users and their
   * credentials, timeouts, cookie settings, CORS, limits, trusted proxies. Sessions are kept, but those
   * of users the new configuration disables or removes are revoked: they end at their next request even
   * if the user is enabled again before it. The configuration applies at once; the promise resolves when
   * the revocations are written (a store failure is logged, and those sessions still end while the user
   * stays disabled).
   */
  applyConfig (config: Config): Promise<void>
  close (): Promise<void>
}

/**
 * The only place that picks implementations: the in-process or Redis session store, the file users and
 * the LDAP directory as identity sources.
 */
export function createDeps (initial: Config, opts: DepsOptions): Deps {
  const now = opts.now ?? (() => Date.now())
  const { logger } = opts
  // The configuration changes on reload: what reads it per request reads it through this.
  const live = (): Config => deps.config
  const limiters = createSigninLimiters(live)
  const derive = (config: Config): ConfigDerived => createConfigDerived(config, { ...limiters, now })
  const metrics = createMetrics()
  const store = createStoreClient(initial, logger, now)
  const upstreamFaults = createFaultLog({ logger, now, what: 'InfluxDB requests', intervalMs: FAULT_LOG_INTERVAL_MS })
  const signer = createRecordSigning(initial, metrics)
  const minting = createTokenMinting(initial, live, { logger, metrics, now })
  const onReleased = (authId: string, ref: string): void => minting.minter.revoke(authId, ref, 'session ended')
  const buildProxy = (url: string): InfluxProxy => createUpstreamProxy(url, () => deps, { metrics, faults: upstreamFaults })
  const deps: Deps = {
    ...derive(initial),
    logger,
    now,
    metrics,
    faults: { upstream: upstreamFaults, store: store.health },
    lifecycle: { shuttingDown: false },
    sessions: createSessions({ ...store, signer }, live, now, onReleased),
    minter: minting.minter,
    implicitSessions: createImplicitSessions({ sessions: () => deps.sessions, minter: minting.minter }),
    throttle: createThrottle(store, live, now),
    ...createFlowStores(store, signer, now),
    oidc: createOidc(initial, logger),
    proxy: buildProxy(initial.upstream.url),
    refresher: createIdentityRefresher({
      // An identity provider's groups hold for the session (it cannot be asked again); while `oidc:` stays.
      source: (name) => name === 'ldap' ? deps.ldap : name === 'oidc' && deps.config.oidc !== undefined ? 'session' : undefined,
      intervalMs: () => deps.config.ldap?.refreshInterval ?? Infinity,
      now,
      onFailure: (err, { name: user, source }) => {
        logger.warn({ err, user, source }, 'directory unavailable for a group check; the session keeps its last-known groups')
      }
    }),
    upstreamVersion: createUpstreamVersion({
      configured: () => { const v = deps.config.upstream.version; return v === 'auto' ? v : v === '1' ? 1 : 2 },
      url: () => deps.config.upstream.url,
      timeoutMs: 5000,
      retryMs: 30_000,
      now
    }),
    applyConfig: async (config) => await reconfigure(deps, config, { derive, buildProxy }),
    async close () {
      await minting.close(MINT_CLOSE_GRACE_MS)
      store.throttleSweeper?.close()
      store.health.close()
      store.flowSweeper?.close()
      store.pendingFlowSweeper?.close()
      deps.proxy.close()
      await deps.sessions.close()
    }
  }
  metrics.countSessionsWith(() => deps.sessions.count())
  minting.start(() => deps.sessions)
  deps.upstreamVersion.probe().catch(() => {})
  return deps
}

/** Sign-ins in progress at an identity provider, and the per-address count of those pending. */
function createFlowStores (store: StoreClient, signer: RecordSigner, now: () => number): Pick<AppDeps, 'signInFlows' | 'pendingFlows'> {
  const { client, keyPrefix } = store
  return {
    signInFlows: createSignInFlowStore({ client, keyPrefix, now, signer, sweeper: store.flowSweeper, maxFlows: PENDING_FLOWS }),
    pendingFlows: createPendingFlowLimit({ client, keyPrefix, now, sweeper: store.pendingFlowSweeper })
  }
}

/**
 * The relying party for `oidc:`, when configured; its discovery starts now, without holding up the start
 * (a provider that is down is tried again at each sign-in).
 */
function createOidc (config: Config, logger: Logger): OidcClient | undefined {
  if (config.oidc === undefined) return undefined
  const client = createOidcClient({
    config: config.oidc,
    onDiscoveryFailure: (err) => {
      logger.warn({ err, issuer: config.oidc?.issuer }, 'identity provider discovery failed; retried at the next sign-in')
    }
  })
  client.warmUp().catch(() => {})
  return client
}

/** The sign-in limiters, one each for the process so their bounds hold across reloads; they read their settings live. */
function createSigninLimiters (config: () => Config): Pick<ConfigDerivedOptions, 'hashLimiter' | 'bindLimiter'> {
  const hashLimiter = createHashLimiter(() => {
    const { maxConcurrentHashes, maxQueuedHashes, maxHashWait } = config().signin
    return { maxConcurrent: maxConcurrentHashes, maxQueued: maxQueuedHashes, maxWaitMs: maxHashWait }
  })
  // Directory connections get a limiter of their own: they wait on the network, not a core, and a hung
  // directory must not hold the hash slots that file users sign in with.
  const bindLimiter = createHashLimiter(() => {
    const { maxQueuedHashes, maxHashWait } = config().signin
    return { maxConcurrent: config().ldap?.maxConcurrentBinds ?? 1, maxQueued: maxQueuedHashes, maxWaitMs: maxHashWait }
  })
  return { hashLimiter, bindLimiter }
}

/**
 * The session store on the store client, behind the in-process cache; the timeouts and the cap are read live. A session
 * holding a minted token that ends there has it revoked (`onReleased`).
 */
function createSessions (
  { client, keyPrefix, sweeper, indexSweeper, signer }: StoreClient & { signer: RecordSigner }, config: () => Config, now: () => number,
  onReleased: (authId: string, ref: string) => void
): CachedSessionStore {
  return createCachedSessionStore({
    store: createRedisSessionStore({
      client,
      keyPrefix,
      timeouts: () => ({ idleMs: config().session.idleTimeout, absoluteMs: config().session.absoluteTimeout }),
      maxPerIdentity: () => config().session.maxPerIdentity,
      now,
      signer,
      sweeper,
      indexSweeper,
      onReleased
    }),
    now,
    idleMs: () => config().session.idleTimeout,
    // In process, every change to a session goes through this cache; Redis is shared with other replicas.
    freshMs: () => config().session.redis?.cacheTime ?? touchAfterMs(config().session.idleTimeout),
    maxEntries: SESSION_CACHE_ENTRIES
  })
}

/** The failed sign-in counters, in the same store as the sessions; the limits are read live. */
function createThrottle ({ client, keyPrefix, throttleSweeper }: StoreClient, config: () => Config, now: () => number): SigninThrottle {
  return createRedisSigninThrottle({
    client,
    keyPrefix,
    settings: () => {
      const { maxFailures, findTime, banTime } = config().signin
      return { maxFailures, findTimeMs: findTime, banTimeMs: banTime }
    },
    now,
    sweeper: throttleSweeper
  })
}

/**
 * The proxy to `upstreamUrl`; timeout and cookie name are read live, upstream failures counted, and logged
 * as episodes (`faults`), which its answers end.
 */
function createUpstreamProxy (
  upstreamUrl: string, current: () => Pick<Deps, 'config' | 'cookie'>, { metrics, faults }: Pick<Deps, 'metrics'> & { faults: FaultLog }
): InfluxProxy {
  return createInfluxProxy({
    upstreamUrl,
    timeoutMs: () => current().config.upstream.timeout,
    cookieName: () => current().cookie.name,
    onUpstreamResponse: (seconds) => {
      metrics.upstreamLatency(seconds)
      faults.succeeded()
    },
    onUpstreamError: (err) => {
      metrics.upstreamError(upstreamFailure(err))
      faults.failed(errorCode(err) ?? upstreamFailure(err))
    }
  })
}

/** What {@link reconfigure} rebuilds from a new configuration. */
interface Rebuild {
  derive: (config: Config) => ConfigDerived
  buildProxy: (upstreamUrl: string) => InfluxProxy
}

/** {@link Deps.applyConfig}: applied before the first await, revocations written after. */
async function reconfigure (deps: Deps, config: Config, { derive, buildProxy }: Rebuild): Promise<void> {
  const upstreamChanged = config.upstream.url !== deps.config.upstream.url
  if (upstreamChanged) {
    // In-flight requests finish on the old proxy, then its connections close.
    deps.proxy.retire()
    deps.proxy = buildProxy(config.upstream.url)
  }
  const inactive = newlyInactive(deps.config.users, config.users)
  // Cached sessions carry the times of the old timeouts: a shortened one applies at once.
  const { idleTimeout, absoluteTimeout } = deps.config.session
  if (config.session.idleTimeout !== idleTimeout || config.session.absoluteTimeout !== absoluteTimeout) deps.sessions.clear()
  const oidcChanged = JSON.stringify(config.oidc) !== JSON.stringify(deps.config.oidc)
  Object.assign(deps, derive(config))
  // Flows in progress live in the store and finish under the new section.
  if (oidcChanged) deps.oidc = createOidc(config, deps.logger)
  if (upstreamChanged) deps.upstreamVersion.probe().catch(() => {})
  for (const { name, reason } of inactive) {
    try {
      const sessions = await deps.sessions.revokeUser(name)
      deps.logger.info({ audit: 'session', user: name, source: 'file', sessions, reason }, 'sessions revoked')
    } catch (err) {
      deps.logger.warn({ err, user: name }, 'could not revoke sessions; they end at their next request while the user stays disabled')
    }
  }
}

/** Users enabled in `before` whom `after` disables or removes. */
function newlyInactive (before: Config['users'], after: Config['users']): Array<{ name: string, reason: string }> {
  const next = new Map(after.map((u) => [u.name, u]))
  return before.filter((u) => !u.disabled && next.get(u.name)?.disabled !== false)
    .map((u) => ({ name: u.name, reason: next.has(u.name) ? 'user disabled' : 'user removed' }))
}
