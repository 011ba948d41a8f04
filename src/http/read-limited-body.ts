import type { IncomingMessage } from 'node:http'
import { errors } from '../errors.ts'

/**
 * Reads and discards a request body of at most `limitBytes` (sign-in and sign-out take none but a
 * client may send one). Rejects with 413 as soon as the declared or received size is over the limit.
 */
export async function drainLimitedBody (req: IncomingMessage, limitBytes: number): Promise<void> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > limitBytes) throw errors.bodyTooLarge(limitBytes)
  if (declared === 0 && req.headers['transfer-encoding'] === undefined) return
  let received = 0
  for await (const chunk of req) {
    received += (chunk as Buffer).length
    if (received > limitBytes) throw errors.bodyTooLarge(limitBytes)
  }
}
