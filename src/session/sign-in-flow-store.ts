import type { Redis } from 'ioredis'
import { errors } from '../errors.ts'
import type { ExpirySweeper } from './expiry-sweeper.ts'
import type { RecordSigner } from './record-signer.ts'
import { hashSessionId, isSessionId, newSessionId } from './session-id.ts'
import { unavailableOnFailure } from './store-unavailable.ts'

/** What a sign-in at an identity provider must remember between the redirect there and the return. */
export interface SignInFlow {
  /** The `state` sent to the provider, compared with the one it sends back. */
  state: string
  /** The `nonce` sent to the provider, which the ID token must carry. */
  nonce: string
  /** The PKCE code verifier (its S256 challenge went to the provider). */
  verifier: string
  /** Where the browser goes once signed in: a local path, checked before it was stored. */
  returnTo: string
}

/** Keeps sign-in flows server-side, each for one use. */
export interface SignInFlowStore {
  /**
   * Stores a flow for `ttlMs`; resolves to its id (256 random bits, for the browser's cookie; never stored).
   * @throws GatewayError `signinBusy` when `maxFlows` are pending in process
   */
  put (flow: SignInFlow, ttlMs: number): Promise<string>
  /**
   * Takes the flow stored under `id` and deletes it in the same step: a second take of the same id, or one
   * after its time, finds nothing (undefined).
   */
  take (id: string): Promise<SignInFlow | undefined>
}

/** What the flow store needs of a client: ioredis `Redis` or ioredis-mock. */
export type FlowRedisClient = Pick<Redis, 'set' | 'getdel'>

/** Options for {@link createSignInFlowStore}. */
export interface SignInFlowStoreOptions {
  client: FlowRedisClient
  keyPrefix: string
  now: () => number
  /** Signs the flow records (`session.recordKey`) and checks them when taken. */
  signer: RecordSigner
  /** Active expiry for the in-process client (flows that never come back must not pile up). */
  sweeper?: ExpirySweeper
  /** Most flows pending at once with the in-process client (counted by `sweeper`); Redis is bounded by its own `maxmemory`. */
  maxFlows?: number
}

interface FlowRecord extends SignInFlow { e: number }

/**
 * Sign-in flows in the session store, so that any replica can finish a flow another one started: keys
 * `<prefix>signin-flow:<sha256(id)>` with a TTL of the flow's lifetime, read and deleted with one `GETDEL`
 * (single use, even between replicas). The record carries its own end too, checked against the
 * gateway's clock, and is signed for its key. One code path for Redis and the in-process client.
 */
export function createSignInFlowStore (opts: SignInFlowStoreOptions): SignInFlowStore {
  const { client, sweeper, now } = opts
  const keyOf = (id: string): string => `${opts.keyPrefix}signin-flow:${hashSessionId(id)}`
  const write = unavailableOnFailure(async (flow: SignInFlow, ttlMs: number) => {
    const id = newSessionId()
    const key = keyOf(id)
    const record: FlowRecord = { ...flow, e: now() + ttlMs }
    await client.set(key, opts.signer.sign(key, JSON.stringify(record)), 'PX', ttlMs)
    sweeper?.track(key, record.e)
    return id
  })
  return {
    async put (flow, ttlMs) {
      // SECURITY: anyone may start a flow, and each is kept for its lifetime: in process, unbounded,
      // a stream of anonymous logins would fill the gateway's memory (and take the sessions with it).
      if (sweeper !== undefined && opts.maxFlows !== undefined && sweeper.size() >= opts.maxFlows) throw errors.signinBusy()
      return await write(flow, ttlMs)
    },
    take: unavailableOnFailure(async (id: string) => {
      if (!isSessionId(id)) return undefined
      const key = keyOf(id)
      const raw = await client.getdel(key)
      sweeper?.forget(key)
      // SECURITY: a flow written into the store by anyone but the gateway would choose the `state`, `nonce`
      // and PKCE verifier a sign-in is checked against, and where the browser goes after it.
      const record = decode(opts.signer.open('flow', key, raw))
      return record === undefined || record.e <= now() ? undefined : strip(record)
    })
  }
}

function decode (value: string | undefined): FlowRecord | undefined {
  if (value === undefined) return undefined
  try {
    const r = JSON.parse(value) as Partial<FlowRecord>
    const strings = [r.state, r.nonce, r.verifier, r.returnTo].every((v) => typeof v === 'string')
    return strings && typeof r.e === 'number' ? r as FlowRecord : undefined
  } catch {
    return undefined
  }
}

function strip ({ state, nonce, verifier, returnTo }: FlowRecord): SignInFlow {
  return { state, nonce, verifier, returnTo }
}
