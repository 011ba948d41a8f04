import type { Logger } from 'pino'
import type { Metrics } from '../observability/metrics.ts'
import type { InfluxAdminClient, InfluxAuthorization } from './influx-admin-client.ts'
import { CHECK_CONFIG_DESCRIPTION, mintMarker, SWEEP_GRACE_MS } from './mint-marker.ts'
import type { Revoker } from './revoker.ts'
import { audit } from '../observability/audit.ts'

/** What {@link sweepOrphans} needs. */
export interface OrphanSweepOptions {
  client: Pick<InfluxAdminClient, 'listAuthorizations' | 'deleteAuthorization'>
  logger: Logger
  metrics: Pick<Metrics, 'tokens'>
  now: () => number
  /** Whose marker the authorizations to sweep carry. */
  namespace: string
}

/**
 * One run of the minter's sweep (see `TokenMinter.sweep`): the authorizations carrying this gateway's
 * marker that `held` says no live session holds and are over {@link SWEEP_GRACE_MS} old (`stopping`: those
 * it says one holds, whatever their age), deleted through `revoker`; unless stopping, also what
 * `check-config --online` left behind. Resolves to how many it deleted.
 */
export async function sweepOrphans (
  opts: OrphanSweepOptions, revoker: Revoker, held: (authIds: readonly string[]) => Promise<Set<string>>, stopping: boolean
): Promise<number> {
  const marker = mintMarker(opts.namespace)
  const t = opts.now()
  const old = (a: InfluxAuthorization): boolean => a.createdAt !== undefined && t - Date.parse(a.createdAt) >= SWEEP_GRACE_MS
  const all = await opts.client.listAuthorizations()
  const ours = all.filter((a) => a.description.startsWith(marker) && (stopping || a.createdAt === undefined || old(a)))
  const live = await held(ours.map((a) => a.id))
  const doomed = ours.filter((a) => live.has(a.id) === stopping)
  for (const a of doomed) {
    const ref = a.description.slice(marker.length).split(' ')[0] ?? ''
    if (!stopping) {
      opts.metrics.tokens('orphan_swept')
      audit(opts.logger, 'tokenOrphan', { session: ref, authorization: a.id })
    }
    await revoker.revoke(a.id, ref, stopping ? 'gateway stopped' : 'orphan')
  }
  return doomed.length + (stopping ? 0 : await deleteCheckLeftovers(opts, all.filter(old)))
}

/**
 * Deletes the authorizations among `old` that `check-config --online` made and could not delete (InfluxDB
 * failed it): only its exact description, never a younger one (a check may be running right now); a
 * failure is logged and left to the next sweep. Resolves to how many it deleted.
 */
async function deleteCheckLeftovers (opts: OrphanSweepOptions, old: InfluxAuthorization[]): Promise<number> {
  let deleted = 0
  for (const a of old.filter((a) => a.description === CHECK_CONFIG_DESCRIPTION)) {
    try {
      await opts.client.deleteAuthorization(a.id)
      deleted++
      opts.metrics.tokens('revoked')
      audit(opts.logger, 'checkTokenRevoked', { authorization: a.id, reason: 'left by check-config' })
    } catch (err) {
      audit(opts.logger, 'checkTokenRevokeFailed', { authorization: a.id, err: (err as Error).message, then: 'next sweep' })
    }
  }
  return deleted
}
