import type { AppDeps } from '../app-deps.ts'
import type { Config } from '../config/schema.ts'
import type { ForwarderSettings } from '../forwarder/influx-forwarder.ts'
import type { UpstreamVersion } from '../forwarder/upstream-version.ts'
import type { ConfigDerived } from './config-derived.ts'

/**
 * What outlives a configuration: built once at start, shared by every runtime. Some of them read settings
 * live, through the latest runtime, because a reload is documented to apply to what is already running:
 * the session store (`session.idleTimeout`, `absoluteTimeout`, `maxPerIdentity`, `redis.cacheTime`: a reload
 * applies to live sessions), the sign-in throttle (`signin.maxFailures`, `findTime`, `banTime`), the hash
 * and bind limiters (`signin.maxConcurrentHashes`, `maxQueuedHashes`, `maxHashWait`, `ldap.maxConcurrentBinds`:
 * their bounds hold across reloads), the identity refresher (`ldap.refreshInterval`, the directory and
 * `oidc:` it asks), token minting (`mint` of each user,
 * `upstream.url`, and for InfluxDB 3 `session.absoluteTimeout` as the token's expiry), the upstream version probe
 * (`upstream.version`, `upstream.url`) and the public listener's connection cap (`limits.maxConnections`).
 */
export type Services = Pick<AppDeps, 'logger' | 'now' | 'metrics' | 'faults' | 'shutdown' | 'sessions' | 'formTokens' | 'minter' |
'implicitSessions' | 'throttle' | 'signInFlows' | 'pendingFlows' | 'refresher' | 'usedTokenIds'>

/** What one configuration (and what the gateway learned under it) makes of the rest. */
export type PerConfig = ConfigDerived & Pick<AppDeps, 'oidc' | 'forwarder' | 'upstreamVersion'>

/**
 * One configuration's runtime: the long-lived services and what follows from the configuration, frozen.
 * A request reads the runtime once at its start and uses it to its end, so every step of it sees one
 * configuration even when a reload lands while it awaits; a reload (or a learned upstream version) builds
 * the next runtime and swaps it in with one assignment.
 */
export type Runtime = Readonly<AppDeps & Pick<ConfigDerived, 'ldap'>>

/** Builds a runtime; made once per configuration, never per request. */
export function createRuntime (services: Services, parts: PerConfig): Runtime {
  return Object.freeze({ ...services, ...parts })
}

/**
 * The upstream version as the runtime of `config` knows it: configured, or what was learned of its upstream
 * when it was built. While unknown, asking starts a probe in the background (at most every `retryMs`),
 * whose answer builds the next runtime.
 */
export function versionOfRuntime (tracker: UpstreamVersion, { upstream }: Config): UpstreamVersion {
  const major = upstream.version === 'auto' ? tracker.learnedFor(upstream.url) : Number(upstream.version) as 1 | 2 | 3
  if (major !== undefined) return { major: () => major, learnedFor: tracker.learnedFor, probe: tracker.probe }
  return {
    major: () => { tracker.major(); return undefined },
    learnedFor: tracker.learnedFor,
    probe: tracker.probe
  }
}

/** What a configuration sets of forwarding: its upstream timeout and cookie name, fixed for its runtime. */
export function proxySettings ({ config, cookie }: Pick<ConfigDerived, 'config' | 'cookie'>): ForwarderSettings {
  const timeout = config.upstream.timeout
  const cookieName = cookie.name
  return { timeoutMs: () => timeout, cookieName: () => cookieName }
}
