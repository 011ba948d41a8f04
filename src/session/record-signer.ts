import { createHmac, timingSafeEqual } from 'node:crypto'

/** What a stored record is: a session, or a sign-in flow at an identity provider. */
export type RecordKind = 'session' | 'flow'

/** Shortest record key accepted, in bytes: HMAC-SHA256's own block of strength. */
export const MIN_RECORD_KEY_BYTES = 32

/** Signs the records the gateway keeps in the store, and checks them when read back. */
export interface RecordSigner {
  /** `value` as stored under `key`: its HMAC over key and value (base64url), a dot, then the value. */
  sign (key: string, value: string): string
  /**
   * The value stored as `stored` under `key` when the gateway signed it there, with the current or the
   * previous key; undefined when nothing is stored or the signature does not hold (then counted as a
   * rejected record of `kind`).
   */
  open (kind: RecordKind, key: string, stored: string | null): string | undefined
  /**
   * A key of its own for `purpose`, derived from the current key (HMAC-SHA256 of the purpose): the same on
   * every replica sharing the record key, and telling nothing of it.
   */
  derive (purpose: string): Buffer
}

/** Options for {@link createRecordSigner}. */
export interface RecordSignerOptions {
  /** The key records are signed with (`session.recordKey`), at least {@link MIN_RECORD_KEY_BYTES}. */
  key: string | Buffer
  /** A key records signed before a rotation are still read with (`session.previousRecordKey`). */
  previousKey?: string | Buffer
  /** Told of each record that is stored but not signed by the gateway (forged, copied, tampered, or older). */
  onRejected?: (kind: RecordKind) => void
}

/** Length of an HMAC-SHA256 in base64url. */
const MAC_CHARS = 43

/**
 * HMAC-SHA256 over the record's store key and its value, so a record is valid only as the gateway wrote
 * it and only under the key it wrote it to.
 * @throws Error when a key is shorter than {@link MIN_RECORD_KEY_BYTES} (the config refuses those first)
 */
export function createRecordSigner (opts: RecordSignerOptions): RecordSigner {
  const keys = [opts.key, ...(opts.previousKey === undefined ? [] : [opts.previousKey])].map((k) => Buffer.from(k))
  if (keys.some((k) => k.length < MIN_RECORD_KEY_BYTES)) throw new Error(`a record key needs at least ${MIN_RECORD_KEY_BYTES} bytes`)
  const current = keys[0] as Buffer
  // SECURITY: the store key is signed with the value: a record copied onto another session's key (or a
  // flow's onto a session's) does not verify there. The key ends at the first newline, which no store key holds.
  const mac = (key: Buffer, storeKey: string, value: string): string =>
    createHmac('sha256', key).update(storeKey).update('\n').update(value).digest('base64url')
  // SECURITY: compared in constant time, so the answer's timing tells nothing of the expected MAC.
  const verifies = (storeKey: string, value: string, given: Buffer): boolean =>
    keys.some((key) => timingSafeEqual(Buffer.from(mac(key, storeKey, value)), given))
  return {
    sign: (storeKey, value) => `${mac(current, storeKey, value)}.${value}`,
    // The NUL keeps a derived key from ever being a record's MAC (store keys hold no NUL).
    derive: (purpose) => createHmac('sha256', current).update('\0derive\0').update(purpose).digest(),
    open (kind, storeKey, stored) {
      if (stored === null) return undefined
      const given = Buffer.from(stored.slice(0, MAC_CHARS))
      const value = stored.slice(MAC_CHARS + 1)
      if (given.length === MAC_CHARS && stored.charAt(MAC_CHARS) === '.' && verifies(storeKey, value, given)) return value
      opts.onRejected?.(kind)
      return undefined
    }
  }
}
