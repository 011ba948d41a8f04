import type { Logger } from 'pino'
import type { AppDeps } from './app-deps.ts'
import { createWorkLimiter } from './auth/work-limiter.ts'
import { createIdentityRefresher } from './auth/identity-refresher.ts'
import type { Config } from './config/schema.ts'
import { createConfigDerived, type ConfigDerivedOptions } from './deps/config-derived.ts'
import { createRecordSigning } from './deps/record-signing.ts'
import type { Runtime, Services } from './deps/runtime.ts'
import { reconfigure } from './deps/reconfigure.ts'
import { createRuntimeSwitch } from './deps/runtime-switch.ts'
import { createStoreClient, FAULT_LOG_INTERVAL_MS, type StoreClient } from './deps/store-client.ts'
import { createFlowStores, createSessions, createThrottle } from './deps/store-services.ts'
import { createTokenMinting, type TokenMinting } from './deps/token-minting.ts'
import { createImplicitSessions } from './access/implicit-sessions.ts'
import { createFormTokens } from './session/form-tokens.ts'
import { createInfluxForwarder, type InfluxForwarder, type ForwarderSettings } from './forwarder/influx-forwarder.ts'
import { createFaultLog, type FaultLog } from './observability/fault-log.ts'
import { createMetrics } from './observability/metrics.ts'
import { errorCode, upstreamFailure } from './forwarder/upstream-errors.ts'
import { createUpstreamVersion, type UpstreamVersion } from './forwarder/upstream-version.ts'

/** On stop, the in-process store's minted tokens get this long to be deleted. */
const MINT_CLOSE_GRACE_MS = 5000

/** What `createDeps` needs besides the config. */
export interface DepsOptions {
  logger: Logger
  now?: () => number
}

/** The long-lived services, the runtime in force, and ways to swap the configuration and to release them. */
export interface Deps extends Services {
  /** The runtime in force: a request reads it once at its start and uses it to its end (src/deps/runtime.ts). */
  runtime (): Runtime
  /** The configuration in force (the current runtime's), for the reloader, the CLI and tests. */
  readonly config: Config
  /** What asks InfluxDB for its version; a learned version builds the next runtime. */
  upstreamVersion: UpstreamVersion
  /**
   * Builds and swaps in a runtime with some of its parts replaced (a test's stub); a replaced long-lived
   * service stays in later runtimes, a replaced per-configuration part until the next reload. The fields
   * of `Deps` itself stay the originals.
   */
  replace (overrides: Partial<AppDeps>): void
  /**
   * Applies a new configuration to everything that reads it per request: users and their
   * credentials, timeouts, cookie settings, CORS, limits, trusted proxies. Sessions are kept, but those
   * of users the new configuration disables or removes are revoked: they end at their next request even
   * if the user is enabled again before it. The configuration applies at once (requests already running
   * finish under the runtime they started with); the promise resolves when the revocations are written (a
   * store failure is logged, and those sessions still end while the user stays disabled).
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
  const current = (): Runtime => runtimes.current()
  // The long-lived services that read settings live read the latest runtime's (listed in src/deps/runtime.ts).
  const live = (): Config => current().config
  const limiters = createSigninLimiters(live)
  const metrics = createMetrics()
  const store = createStoreClient(initial, logger, now)
  const upstreamFaults = createFaultLog({ logger, now, what: 'InfluxDB requests', intervalMs: FAULT_LOG_INTERVAL_MS })
  const upstreamVersion = createUpstreamVersion({
    configured: () => { const v = live().upstream.version; return v === 'auto' ? v : Number(v) as 1 | 2 | 3 },
    url: () => live().upstream.url,
    token: () => live().upstream.operatorToken,
    timeoutMs: 5000,
    retryMs: 30_000,
    now,
    onLearned: () => runtimes.versionLearned()
  })
  const upstreamMajor = async (): Promise<1 | 2 | 3 | undefined> => upstreamVersion.major() ?? await upstreamVersion.probe()
  const minting = createTokenMinting(initial, live, { logger, metrics, now, upstreamMajor })
  const services = createServices({ initial, logger, now, metrics, store, live, minting, faults: upstreamFaults, current })
  const runtimes = createRuntimeSwitch(initial, {
    services,
    derive: (config) => createConfigDerived(config, { ...limiters, now }),
    connect: (url, settings) => createUpstreamProxy(url, settings, { metrics, faults: upstreamFaults }),
    upstreamVersion,
    logger
  })
  const { sessions } = services
  const deps: Deps = {
    ...services,
    upstreamVersion,
    runtime: runtimes.current,
    get config () { return runtimes.current().config },
    replace: runtimes.replace,
    applyConfig: async (config) => {
      await reconfigure({ before: live(), logger, sessions: current().sessions, upstreamVersion }, config, () => runtimes.apply(config))
    },
    async close () {
      await minting.close(MINT_CLOSE_GRACE_MS)
      store.throttleSweeper?.close()
      store.health.close()
      store.flowSweeper?.close()
      store.pendingFlowSweeper?.close()
      store.usedTokenSweeper?.close()
      runtimes.close()
      await sessions.close()
    }
  }
  metrics.countSessionsWith(() => current().sessions.count())
  minting.start(() => current().sessions)
  upstreamVersion.probe().catch(() => {})
  return deps
}

/** What {@link createServices} builds the long-lived services from. */
interface ServiceParts extends Pick<Services, 'logger' | 'now' | 'metrics'> {
  initial: Config
  store: StoreClient
  /** The configuration in force, for the services that read settings live. */
  live: () => Config
  minting: TokenMinting
  faults: FaultLog
  /** The runtime in force, for the services that use its sessions or its directory. */
  current: () => Runtime
}

/** The long-lived services (src/deps/runtime.ts): built once, shared by every runtime. */
function createServices ({ initial, logger, now, metrics, store, live, minting, faults, current }: ServiceParts): Services {
  const signer = createRecordSigning(initial, metrics)
  const onReleased = (authId: string, ref: string): void => minting.minter.revoke(authId, ref, 'session ended')
  return {
    logger,
    now,
    metrics,
    faults: { upstream: faults, store: store.health },
    shutdown: { begun: false },
    sessions: createSessions({ ...store, signer }, live, now, onReleased),
    formTokens: createFormTokens(signer.derive('sessions page form token')),
    minter: minting.minter,
    implicitSessions: createImplicitSessions({ lifecycle: current, minter: minting.minter }),
    throttle: createThrottle(store, live, now),
    ...createFlowStores(store, signer, now),
    refresher: createIdentityRefresher({
      // An identity provider's groups hold for the session (it cannot be asked again); while `oidc:` stays.
      source: (name) => name === 'ldap' ? current().ldap : name === 'oidc' && live().oidc !== undefined ? 'session' : undefined,
      intervalMs: () => live().ldap?.refreshInterval ?? Infinity,
      now,
      onFailure: (err, { name: user, source }) => {
        logger.warn({ err, user, source }, 'directory unavailable for a group check; the session keeps its last-known groups')
      }
    })
  }
}

/** The sign-in limiters, one each for the process so their bounds hold across reloads; they read their settings live. */
function createSigninLimiters (config: () => Config): Pick<ConfigDerivedOptions, 'hashLimiter' | 'bindLimiter'> {
  const hashLimiter = createWorkLimiter(() => {
    const { maxConcurrentHashes, maxQueuedHashes, maxHashWait } = config().signin
    return { maxConcurrent: maxConcurrentHashes, maxQueued: maxQueuedHashes, maxWaitMs: maxHashWait }
  })
  // Directory connections get a limiter of their own: they wait on the network, not a core, and a hung
  // directory must not hold the hash slots that file users sign in with.
  const bindLimiter = createWorkLimiter(() => {
    const { maxQueuedHashes, maxHashWait } = config().signin
    return { maxConcurrent: config().ldap?.maxConcurrentBinds ?? 1, maxQueued: maxQueuedHashes, maxWaitMs: maxHashWait }
  })
  return { hashLimiter, bindLimiter }
}

/**
 * The connections to `upstreamUrl`; upstream failures counted, and logged as episodes (`faults`), which its
 * answers end; forwarding with `settings`, and each later runtime over them with its own (`withSettings`).
 */
function createUpstreamProxy (
  upstreamUrl: string, settings: ForwarderSettings, { metrics, faults }: Pick<Services, 'metrics'> & { faults: FaultLog }
): InfluxForwarder {
  return createInfluxForwarder({
    upstreamUrl,
    ...settings,
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
