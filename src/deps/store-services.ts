import type { AppDeps } from '../app-deps.ts'
import type { Config } from '../config/schema.ts'
import { createCachedSessionStore, touchAfterMs, type CachedSessionStore } from '../session/cached-session-store.ts'
import { createPendingFlowLimit } from '../session/pending-flow-limit.ts'
import type { RecordSigner } from '../session/record-signer.ts'
import { createRedisSessionStore } from '../session/redis-session-store.ts'
import { createRedisSigninThrottle } from '../session/redis-signin-throttle.ts'
import { createSignInFlowStore } from '../session/sign-in-flow-store.ts'
import type { SigninThrottle } from '../session/signin-throttle.ts'
import { createUsedTokenIds } from '../session/used-token-ids.ts'
import type { StoreClient } from './store-client.ts'

/**
 * The services kept in the session store (the sessions behind their cache, the sign-in throttle, the
 * sign-in flows and their per-address count), built on one store client. Long-lived: they read their
 * settings from the live configuration. Part of `createDeps` (src/deps.ts), the only module that imports it.
 */

/** Sessions cached in process (about 1 KB each): more than the busiest gateway has live at once. */
const SESSION_CACHE_ENTRIES = 50_000

/**
 * Sign-in flows at an identity provider pending at once in process (about 5 KB each with a long
 * `returnTo`): far more than people start within `oidc.flowTimeout`, far less than fills the memory.
 */
const PENDING_FLOWS = 10_000

/**
 * The session store on the store client, behind the in-process cache; the timeouts and the cap are read live. A session
 * holding a minted token that ends there has it revoked (`onReleased`).
 */
export function createSessions (
  { client, keyPrefix, sweeper, indexSweeper, waitReplicas, signer }: StoreClient & { signer: RecordSigner },
  config: () => Config, now: () => number,
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
      onReleased,
      waitReplicas
    }),
    now,
    idleMs: () => config().session.idleTimeout,
    // In process, every change to a session goes through this cache; Redis is shared with other replicas.
    freshMs: () => config().session.redis?.cacheTime ?? touchAfterMs(config().session.idleTimeout),
    maxEntries: SESSION_CACHE_ENTRIES
  })
}

/** The failed sign-in counters, in the same store as the sessions; the limits are read live. */
export function createThrottle (
  { client, keyPrefix, throttleSweeper }: StoreClient, config: () => Config, now: () => number
): SigninThrottle {
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
 * Sign-ins in progress at an identity provider, the per-address count of those pending, and the logout
 * tokens it already sent (back-channel logout).
 */
export function createFlowStores (
  store: StoreClient, signer: RecordSigner, now: () => number
): Pick<AppDeps, 'signInFlows' | 'pendingFlows' | 'usedTokenIds'> {
  const { client, keyPrefix } = store
  return {
    signInFlows: createSignInFlowStore({ client, keyPrefix, now, signer, sweeper: store.flowSweeper, maxFlows: PENDING_FLOWS }),
    pendingFlows: createPendingFlowLimit({ client, keyPrefix, now, sweeper: store.pendingFlowSweeper }),
    usedTokenIds: createUsedTokenIds({ client, keyPrefix, now, sweeper: store.usedTokenSweeper })
  }
}
