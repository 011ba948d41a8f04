import type { Logger } from 'pino'
import type { Metrics } from '../observability/metrics.ts'
import type { ListedToken, MintBackend } from './mint-backend.ts'
import { CHECK_CONFIG_DESCRIPTION, mintMarker, SWEEP_GRACE_MS } from './mint-marker.ts'
import type { Revoker } from './revoker.ts'
import { audit } from '../observability/audit.ts'

/** What {@link sweepOrphans} needs. */
export interface OrphanSweepOptions {
  /** The backend of the InfluxDB answering now (InfluxDB 2: authorizations; InfluxDB 3: tokens). */
  backend: Pick<MintBackend, 'list' | 'delete'>
  logger: Logger
  metrics: Pick<Metrics, 'tokens'>
  now: () => number
  /** Whose marker the authorizations to sweep carry. */
  namespace: string
}

/**
 * One run of the minter's sweep (see `TokenMinter.sweep`): the tokens (authorizations) carrying this gateway's
 * marker in their label (InfluxDB 2: the description; InfluxDB 3: the name) that `held` says no live session
 * holds and are over {@link SWEEP_GRACE_MS} old (`stopping`: those it says one holds, whatever their age),
 * deleted through `revoker`; unless stopping, also what `check-config --online` left behind. Resolves to how many it deleted.
 */
export async function sweepOrphans (
  opts: OrphanSweepOptions, revoker: Revoker, held: (authIds: readonly string[]) => Promise<Set<string>>, stopping: boolean
): Promise<number> {
  const marker = mintMarker(opts.namespace)
  const t = opts.now()
  const old = (a: ListedToken): boolean => a.createdAt !== undefined && t - Date.parse(a.createdAt) >= SWEEP_GRACE_MS
  const all = await opts.backend.list()
  const ours = all.filter((a) => a.label.startsWith(marker) && (stopping || a.createdAt === undefined || old(a)))
  const live = await held(ours.map((a) => a.id))
  const doomed = ours.filter((a) => live.has(a.id) === stopping)
  for (const a of doomed) {
    const ref = a.label.slice(marker.length).split(' ')[0] ?? ''
    if (!stopping) {
      opts.metrics.tokens('orphan_swept')
      audit(opts.logger, 'tokenOrphan', { session: ref, authorization: a.id })
    }
    await revoker.revoke(a.id, ref, stopping ? 'gateway stopped' : 'orphan')
  }
  return doomed.length + (stopping ? 0 : await deleteCheckLeftovers(opts, all.filter(old)))
}

/** The random suffix of an InfluxDB 3 check's token name (names are unique there): 6 bytes, base64url. */
const CHECK_SUFFIX = /^ [\w-]{8}$/

/**
 * Deletes the authorizations among `old` that `check-config --online` made and could not delete (InfluxDB
 * failed it): only its exact label (InfluxDB 3: its name, that label and a random suffix), never a
 * younger one (a check may be running right now); a failure is logged and left to the next sweep. Resolves to how many it deleted.
 */
async function deleteCheckLeftovers (opts: OrphanSweepOptions, old: ListedToken[]): Promise<number> {
  let deleted = 0
  const leftByCheck = (a: ListedToken): boolean =>
    a.label === CHECK_CONFIG_DESCRIPTION ||
    (a.label.startsWith(CHECK_CONFIG_DESCRIPTION) && CHECK_SUFFIX.test(a.label.slice(CHECK_CONFIG_DESCRIPTION.length)))
  for (const a of old.filter(leftByCheck)) {
    try {
      await opts.backend.delete(a.id)
      deleted++
      opts.metrics.tokens('revoked')
      audit(opts.logger, 'checkTokenRevoked', { authorization: a.id, reason: 'left by check-config' })
    } catch (err) {
      audit(opts.logger, 'checkTokenRevokeFailed', { authorization: a.id, err: (err as Error).message, then: 'next sweep' })
    }
  }
  return deleted
}
