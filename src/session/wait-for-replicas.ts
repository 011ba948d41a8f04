import type { Redis } from 'ioredis'

/** How many replicas must confirm a write, and how long Redis may wait for them (ms). */
export interface ReplicaWait { replicas: number, timeoutMs: number }

/**
 * Resolves once `want.replicas` replicas have every write made so far on `connection` (Redis `WAIT`, which
 * counts per connection: call it on the one that wrote). A write only the primary holds is lost if the
 * primary fails before passing it on; Sentinel promotes the replica that got the most, so one confirmed
 * write survives the failover. Without `want` (a lone Redis, no replica) it resolves at once.
 * @throws Error (code `NOREPLICA`) when fewer replicas confirm within `want.timeoutMs`
 */
export async function waitForReplicas (connection: Pick<Redis, 'wait'>, want: ReplicaWait | undefined): Promise<void> {
  if (want === undefined) return
  const confirmed = await connection.wait(want.replicas, want.timeoutMs)
  if (confirmed < want.replicas) {
    throw Object.assign(new Error(`${confirmed} of ${want.replicas} replicas confirmed the write in time`), { code: 'NOREPLICA' })
  }
}
