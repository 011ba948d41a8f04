import type { Logger } from 'pino'
import type { UpstreamCredential } from '../auth/access-rules.ts'
import type { Identity } from '../auth/identity.ts'
import { isInflux3Spec, type MintSpec } from '../config/influx-permissions.ts'
import { errors } from '../errors.ts'
import type { Metrics } from '../observability/metrics.ts'
import type { Session, SessionAttachment } from '../session/session-store.ts'
import { InfluxAdminError } from './influx-admin-client.ts'
import type { MintBackend, MintedToken } from './mint-backend.ts'
import { specDigest } from './mint-spec.ts'
import { createMintedCredentials, type MintedCredentials } from './minted-credentials.ts'
import { mintMarker } from './mint-marker.ts'
import { sweepOrphans } from './orphan-sweep.ts'
import { createRevoker, type Revoker } from './revoker.ts'
import { sealToken } from './sealed-token.ts'
import { audit } from '../observability/audit.ts'

/**
 * Mints, and deletes, the short-lived InfluxDB tokens of `mint` credentials, with the operator token,
 * through one backend per InfluxDB major (src/mint/influx2-backend.ts, influx3-backend.ts).
 * Every minted token belongs to a session (auth-proxy identities get an implicit one): a session whose
 * rule mints starts with {@link TokenMinter.attachment}, its requests read the token with
 * {@link TokenMinter.sessionCredential}, and the store's end paths call `revoke`.
 */
export interface TokenMinter {
  /** Deletes an authorization in the background (retried with back-off, logged); never blocks or throws. */
  revoke (authId: string, ref: string, reason: string): void
  /**
   * Deletes this gateway's authorizations that `held` says no live session holds (minted over
   * two minutes ago: a replica may be storing a young one right now); `stopping` (the sessions
   * die with the process) deletes instead every one that `held` says a live session holds, and no other:
   * those of another gateway taking over are not this one's. Unless stopping, it also deletes what
   * `check-config --online` left behind (its authorization, over two minutes old, when InfluxDB
   * failed its delete). Resolves to how many it deleted. Never touches any other authorization.
   */
  sweep (held: (authIds: readonly string[]) => Promise<Set<string>>, opts?: { stopping?: boolean }): Promise<number>
  /**
   * What a session's start attaches when its rule mints `spec`: a token minted for it, once the session's
   * id exists and before it is stored — by the spec's backend (InfluxDB 2: an authorization with the spec's
   * permissions; InfluxDB 3: a named token from the rule's databases), marked as this gateway's and naming
   * the session's ref, sealed into the session's record. `stored` keeps the token in process;
   * `abandoned` deletes a token minted for a session that then could not be stored: nothing half-made.
   * The attachment throws GatewayError `mintUnavailable` (503) or `mintRefused` (403, InfluxDB's message).
   */
  attachment (identity: Identity, spec: MintSpec): MintAttachment
  /**
   * The credential a session's requests go upstream with, when its live rule mints `spec`: its own token,
   * unsealed once and kept in process. Undefined when the session holds none for this spec (the rule changed).
   */
  sessionCredential (id: string, session: Session, spec: MintSpec): UpstreamCredential | undefined
  close (): void
}

/** A token to mint for a session being started; see {@link TokenMinter.attachment}. */
export interface MintAttachment {
  attach: SessionAttachment
  /** The session was stored under `id`. */
  stored (id: string): void
  /** The session could not be stored. */
  abandoned (): void
}

/** Options for {@link createTokenMinter}. */
export interface TokenMinterOptions {
  /** The backend of each InfluxDB major that mints. */
  backends: { influx2: MintBackend, influx3: MintBackend }
  /** Whether InfluxDB 3 answers upstream now: the sweep lists that backend's tokens, else InfluxDB 2's. */
  sweepsInflux3: () => Promise<boolean>
  logger: Logger
  metrics: Pick<Metrics, 'tokens'>
  now: () => number
  /** Tells this gateway's authorizations from others': the session store's key prefix, or `memory`. */
  namespace: string
  /** The first retry of a failed deletion, ms (tests shorten it). */
  retryDelayMs?: number
}

/** InfluxDB 2's authorization ids. */
const INFLUX2_ID = /^[0-9a-f]{16}$/

/** Creates the minter; see {@link TokenMinter}. */
export function createTokenMinter (opts: TokenMinterOptions): TokenMinter {
  const { logger, metrics } = opts
  const credentials = createMintedCredentials()
  const marker = mintMarker(opts.namespace)
  const { influx2, influx3 } = opts.backends
  const revoker = createRevoker({
    // SECURITY: the id comes from a session record, which whoever can write to Redis can forge. InfluxDB 3's
    // ids are token names, which carry the marker; InfluxDB 2's are its 16-hex-digit authorization ids;
    // anything else (`_admin`, another application's token name) is none this gateway minted: left alone.
    // Each backend then deletes only what carries this gateway's marker.
    async remove (authId) {
      if (authId.startsWith(marker)) return await influx3.remove(authId)
      return INFLUX2_ID.test(authId) && await influx2.remove(authId)
    },
    firstDelayMs: opts.retryDelayMs,
    onRevoked: (authorization, session, reason) => {
      metrics.tokens('revoked')
      audit(logger, 'tokenRevoked', { session, authorization, reason })
    },
    onLeft: (authorization, session, reason) => {
      audit(logger, 'tokenNotRevoked', { session, authorization, reason })
    },
    onFailed: (authorization, session, err, final) => {
      metrics.tokens('revoke_failed')
      const then = final ? 'left to the orphan sweep' : 'retrying'
      audit(logger, 'tokenRevokeFailed', { session, authorization, err: (err as Error).message, then })
    }
  })
  const mint = createMint(opts)
  const sweep = async (held: Parameters<TokenMinter['sweep']>[0], stopping: boolean): Promise<number> =>
    await sweepOrphans({ ...opts, backend: await opts.sweepsInflux3() ? influx3 : influx2 }, revoker, held, stopping)
  let sweeping: Promise<number> | undefined
  return {
    revoke (authId, ref, reason) {
      credentials.forget(authId)
      revoker.revoke(authId, ref, reason).catch(() => {})
    },
    sweep (held, { stopping = false } = {}) {
      // Stopping never waits for a periodic sweep under way: the sessions' tokens must go before the process does.
      if (stopping) return sweep(held, true)
      sweeping ??= sweep(held, false).finally(() => { sweeping = undefined })
      return sweeping
    },
    attachment: (identity, spec) => mintAttachment({ mint, revoker, credentials }, identity, spec),
    sessionCredential: (id, session, spec) => credentials.get(id, session, spec),
    close: () => revoker.close()
  }
}

/** Mints one session's token (the description naming `ref`). */
type Mint = (identity: Identity, spec: MintSpec, ref: string) => Promise<MintedToken>

/** {@link TokenMinter.attachment}. */
function mintAttachment (
  { mint, revoker, credentials }: { mint: Mint, revoker: Revoker, credentials: MintedCredentials }, identity: Identity, spec: MintSpec
): MintAttachment {
  const made: { token?: MintedToken, ref: string } = { ref: '' }
  return {
    async attach (id, ref) {
      made.ref = ref
      const token = made.token = await mint(identity, spec, ref)
      return { authId: token.authId, sealed: sealToken(id, token.authId, token.token), spec: specDigest(spec) }
    },
    stored (id) {
      if (made.token !== undefined) credentials.remember(id, made.token.authId, made.token.token)
    },
    abandoned () {
      // SECURITY: nothing half-made: no token outlives a session that never was.
      if (made.token !== undefined) revoker.revoke(made.token.authId, made.ref, 'session not created').catch(() => {})
    }
  }
}

/** Mints one session's token through its spec's backend, counted and audited; InfluxDB's failures become the sign-in's. */
function createMint (opts: TokenMinterOptions): Mint {
  const { logger, metrics } = opts
  return async (identity, spec, ref) => {
    try {
      const backend = isInflux3Spec(spec) ? opts.backends.influx3 : opts.backends.influx2
      const created = await backend.mint(identity, spec, ref)
      metrics.tokens('minted')
      audit(logger, 'tokenMinted', { user: identity.name, session: ref, authorization: created.authId })
      return created
    } catch (err) {
      const status = err instanceof InfluxAdminError ? err.status : undefined
      const reason = err instanceof InfluxAdminError ? err.influxMessage : 'error'
      audit(logger, 'tokenMintFailed', { user: identity.name, session: ref, status, reason })
      if (status === 401 || status === 403) throw errors.mintRefused(reason, err)
      throw errors.mintUnavailable(err)
    }
  }
}
