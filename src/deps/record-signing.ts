import { randomBytes } from 'node:crypto'
import type { Config } from '../config/schema.ts'
import type { Metrics } from '../observability/metrics.ts'
import { createRecordSigner, MIN_RECORD_KEY_BYTES, type RecordSigner } from '../session/record-signer.ts'

/**
 * The signer of the store's records: `session.recordKey` (with `previousRecordKey` during a rotation), or,
 * in process without one, a key made now (the records live and die with this process). Rejected records
 * are counted. Part of `createDeps` (src/deps.ts), the only module that imports this.
 */
export function createRecordSigning (config: Config, metrics: Pick<Metrics, 'recordRejected'>): RecordSigner {
  const { recordKey, previousRecordKey } = config.session
  return createRecordSigner({
    key: recordKey ?? randomBytes(MIN_RECORD_KEY_BYTES),
    ...(previousRecordKey === undefined ? {} : { previousKey: previousRecordKey }),
    onRejected: (kind) => metrics.recordRejected(kind)
  })
}
