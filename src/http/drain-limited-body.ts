import type { IncomingMessage } from 'node:http'
import { errors } from '../errors.ts'

/** Bounds for {@link drainLimitedBody} and {@link readLimitedBody}. */
export interface BodyLimits {
  limitBytes: number
  /** The whole body must have arrived by then, or the connection is cut (a slow client holds nothing). */
  timeoutMs: number
}

/**
 * Reads and discards a request body of at most `limitBytes` (sign-in and sign-out take none but a
 * client may send one). Rejects with 413 as soon as the declared or received size is over the limit.
 */
export async function drainLimitedBody (req: IncomingMessage, limits: BodyLimits): Promise<void> {
  await limitedBody(req, limits, undefined)
}

/** Reads a request body of at most `limitBytes` in full, as {@link drainLimitedBody} bounds it. */
export async function readLimitedBody (req: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  const chunks: Buffer[] = []
  await limitedBody(req, limits, chunks)
  return Buffer.concat(chunks)
}

/** Reads the body within the limits, keeping its chunks in `keep` when given. */
async function limitedBody (req: IncomingMessage, { limitBytes, timeoutMs }: BodyLimits, keep: Buffer[] | undefined): Promise<void> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > limitBytes) throw errors.bodyTooLarge(limitBytes)
  if (declared === 0 && req.headers['transfer-encoding'] === undefined) return
  // The client may have gone before this ran: its close event is past.
  if (req.destroyed && !req.complete) throw errors.clientClosed(undefined)
  // Plain listeners, not `for await`: leaving that loop early destroys the request, and with it the
  // connection the 413 must be written to.
  await new Promise<void>((resolve, reject) => {
    let received = 0
    const timer = setTimeout(() => { done(errors.bodyTimeout(timeoutMs)); req.destroy() }, timeoutMs)
    const done = (err?: unknown): void => {
      clearTimeout(timer)
      req.off('data', onData).off('end', done).off('error', onError).off('close', onClose)
      if (err === undefined) resolve()
      else reject(err)
    }
    const onData = (chunk: Buffer): void => {
      received += chunk.length
      if (received > limitBytes) done(errors.bodyTooLarge(limitBytes))
      else keep?.push(chunk)
    }
    // A request stream fails only when its connection does (`aborted`, a reset).
    const onError = (err: unknown): void => done(errors.clientClosed(err))
    const onClose = (): void => { if (!req.complete) done(errors.clientClosed(undefined)) }
    req.on('data', onData).on('end', done).on('error', onError).on('close', onClose)
  })
}
