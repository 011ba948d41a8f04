import type { BlockList } from 'node:net'
import type { Logger } from 'pino'
import type { AccessRules } from './auth/access-rules.ts'
import type { GatewayAdmins } from './auth/gateway-admins.ts'
import type { IdentityRefresher } from './auth/identity-refresher.ts'
import type { IdentityVerifier } from './auth/identity-source.ts'
import type { OidcClient } from './auth/oidc-client.ts'
import type { ProxyIdentityReader } from './auth/auth-proxy-identity.ts'
import type { ForwardAuth } from './auth/protected-apps.ts'
import type { UserStore } from './auth/user-store.ts'
import type { Config } from './config/schema.ts'
import type { FaultLog } from './observability/fault-log.ts'
import type { Metrics } from './observability/metrics.ts'
import type { ImplicitSessions } from './access/implicit-sessions.ts'
import type { TokenMinter } from './mint/token-minter.ts'
import type { InfluxForwarder } from './forwarder/influx-forwarder.ts'
import type { CredentialBuilder } from './forwarder/upstream-credential.ts'
import type { UpstreamVersion } from './forwarder/upstream-version.ts'
import type { SessionCookieOptions } from './session/session-cookie.ts'
import type { CachedSessionStore } from './session/cached-session-store.ts'
import type { PendingFlowLimit } from './session/pending-flow-limit.ts'
import type { SignInFlowStore } from './session/sign-in-flow-store.ts'
import type { FormTokens } from './session/form-tokens.ts'
import type { SigninThrottle } from './session/signin-throttle.ts'
import type { UsedTokenIds } from './session/used-token-ids.ts'

/**
 * Everything the app uses, built by `createDeps` (or by a test). Its own module, so the middlewares
 * (which each pick what they need of it) never import the wiring in `gateway.ts` that imports them.
 */
export interface AppDeps {
  config: Config
  logger: Logger
  /** The `users:` of the config, checked on every request of a file user's session. */
  users: UserStore
  /** Every configured identity source, file users first: what sign-in checks a password against. */
  identities: IdentityVerifier
  /** Which upstream credential an identity gets. */
  access: AccessRules
  /** `gatewayAdmins:`: who may see and end everyone's sessions. */
  admins: GatewayAdmins
  /** Re-reads directory users' groups while their sessions are used. */
  refresher: IdentityRefresher
  /** The session store behind its in-process cache. */
  sessions: CachedSessionStore
  /** The CSRF tokens of the sessions page's forms, bound to each session. */
  formTokens: FormTokens
  /** The relying party of `oidc:`, when configured (rebuilt when a reload changes the section). */
  oidc?: OidcClient
  /** Sign-ins in progress at the identity provider, in the same store as the sessions, each for one use. */
  signInFlows: SignInFlowStore
  /** How many of those flows each client address has pending (`oidc.maxPendingFlowsPerClient`), in the same store. */
  pendingFlows: PendingFlowLimit
  /** The back-channel logout tokens already used (their `jti`), in the same store: each is used once across replicas. */
  usedTokenIds: UsedTokenIds
  /** Mints the per-session InfluxDB tokens of `mint` credentials, and deletes them. */
  minter: TokenMinter
  /** The cookie-less sessions that hold the minted tokens of auth-proxy identities, this replica's. */
  implicitSessions: ImplicitSessions
  /** Failed sign-in counters, in the same store as the sessions. */
  throttle: SigninThrottle
  forwarder: InfluxForwarder
  credentials: CredentialBuilder
  cookie: SessionCookieOptions
  /** `authProxy:`, compiled; undefined when no auth proxy is configured (then nothing reads its headers). */
  authProxy?: ProxyIdentityReader
  /** `forwardAuth:`, compiled; undefined when none is configured (then `<gatewayPrefix>/auth` is not served). */
  forwardAuth?: ForwardAuth
  /** `server.trustProxy` as a lookup. */
  trustedProxies: BlockList
  /** The clock, epoch ms. */
  now: () => number
  metrics: Metrics
  /**
   * Failures of InfluxDB and of the session store, logged once per episode (src/observability/fault-log.ts)
   * rather than once per request; the error handler reports the store's here.
   */
  faults: { upstream: FaultLog, store: Pick<FaultLog, 'failed'> }
  /** InfluxDB's major version (`upstream.version`, or learned from `/ping`): v1 routes answer in its dialect. */
  upstreamVersion: UpstreamVersion
  /** Set when the process is stopping: readiness fails and connections are not kept alive. */
  shutdown: { begun: boolean }
}
