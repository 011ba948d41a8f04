import type { Logger } from 'pino'
import type { AppDeps } from '../app-deps.ts'
import { createOidcClient, type OidcClient } from '../auth/oidc-client.ts'
import type { Config } from '../config/schema.ts'
import type { InfluxForwarder, ForwarderSettings } from '../forwarder/influx-forwarder.ts'
import type { UpstreamVersion } from '../forwarder/upstream-version.ts'
import type { ConfigDerived } from './config-derived.ts'
import { createRuntime, proxySettings, versionOfRuntime, type PerConfig, type Runtime, type Services } from './runtime.ts'

/** What {@link createRuntimeSwitch} builds runtimes from. */
export interface RuntimeSwitchOptions {
  services: Services
  /** What follows from a configuration alone (src/deps/config-derived.ts). */
  derive: (config: Config) => ConfigDerived
  /** The connections to an upstream URL, forwarding with `settings` (each runtime gets its own view). */
  connect: (upstreamUrl: string, settings: ForwarderSettings) => InfluxForwarder
  /** What asks InfluxDB for its version (what it learned is read when a runtime is built). */
  upstreamVersion: UpstreamVersion
  logger: Logger
}

/** The runtime in force, and the only ways to build and swap in the next one. */
export interface RuntimeSwitch {
  current (): Runtime
  /** Builds the runtime of `config` and swaps it in. */
  apply (config: Config): void
  /** Builds a runtime with what is now known of InfluxDB's version and swaps it in. */
  versionLearned (): void
  /** Builds a runtime with parts replaced (a test's stub) and swaps it in; replaced services stay in later ones. */
  replace (overrides: Partial<AppDeps>): void
  /** The connections to the upstream in force, closed at once. */
  close (): void
}

/**
 * Holds the runtime in force (src/deps/runtime.ts): one variable, assigned once per swap. A runtime is built
 * per configuration, never per request. The upstream connections are kept while `upstream.url` stays;
 * when it changes, requests in flight finish on the old ones, which then close. The `oidc:` client is kept
 * while the section stays (sign-ins in progress live in the store and finish under the new one).
 */
export function createRuntimeSwitch (initial: Config, opts: RuntimeSwitchOptions): RuntimeSwitch {
  const { services, derive, connect, logger } = opts
  const first = derive(initial)
  let upstream = connect(initial.upstream.url, proxySettings(first))
  let parts: PerConfig = {
    ...first,
    oidc: createOidc(initial, logger),
    forwarder: upstream,
    upstreamVersion: versionOfRuntime(opts.upstreamVersion, initial)
  }
  let current: Runtime = createRuntime(services, parts)
  // The one assignment that switches runtimes: requests already running keep the one they read.
  const swap = (next: PerConfig): void => {
    parts = next
    current = createRuntime(services, parts)
  }
  const next = (config: Config): PerConfig => {
    const derived = derive(config)
    const settings = proxySettings(derived)
    let forwarder: InfluxForwarder
    if (config.upstream.url === current.config.upstream.url) forwarder = upstream.withSettings(settings)
    else {
      // Requests already under way that forward only now (their runtime read before this reload) go to the
      // new upstream, as they did before runtimes: a closed pool would fail them.
      const previous = upstream
      forwarder = upstream = connect(config.upstream.url, settings)
      previous.retire(upstream)
    }
    const oidc = JSON.stringify(config.oidc) === JSON.stringify(current.config.oidc) ? current.oidc : createOidc(config, logger)
    return { ...derived, oidc, forwarder, upstreamVersion: versionOfRuntime(opts.upstreamVersion, config) }
  }
  return {
    current: () => current,
    apply: (config) => swap(next(config)),
    versionLearned: () => swap({ ...parts, upstreamVersion: versionOfRuntime(opts.upstreamVersion, parts.config) }),
    replace (overrides) {
      const perConfig: Partial<PerConfig> = {}
      for (const [key, value] of Object.entries(overrides)) {
        Object.assign(key in services ? services : perConfig, { [key]: value })
      }
      swap({ ...parts, ...perConfig })
    },
    close: () => upstream.close()
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
