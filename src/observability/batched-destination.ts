import { writeSync } from 'node:fs'
import pino from 'pino'

/** A log destination that gathers lines into larger writes. */
export interface BatchedDestination {
  write (line: string): void
  /** Hands what is pending to the file descriptor (asynchronously); `cb` once it is written. */
  flush (cb?: (err?: Error | null) => void): void
  /** Writes what is pending before returning (at exit). */
  flushSync (): void
}

/** Options for {@link createBatchedDestination}. */
export interface BatchOptions {
  /** Pending lines are written once they reach this many characters… */
  batchBytes: number
  /** …or at least this often, ms, so a quiet gateway's lines are not held back. */
  flushEveryMs: number
}

/**
 * Log lines to a file descriptor (stdout), gathered into writes of about `batchBytes`: a write per line
 * (through libuv's thread pool) cost more of a forwarded request than building the line, and pino's own
 * `minLength` re-measures its whole pending buffer on every line (BENCHMARKS.md). The writing is pino's
 * `destination` (sonic-boom: retries on a full pipe, flushed by pino at exit); lines pending here are
 * handed to it every `flushEveryMs`, on `flush`, and at exit.
 */
export function createBatchedDestination (fd: number, opts: BatchOptions): BatchedDestination {
  // Each batch is written as soon as it is handed over; `minLength: 1` (not 0) makes sonic-boom's
  // flush wait until what it holds is written.
  const sonic = pino.destination({ dest: fd, sync: false, minLength: 1 })
  let pending: string[] = []
  let size = 0
  const take = (): string => {
    const text = pending.length === 1 ? pending[0] as string : pending.join('')
    pending = []
    size = 0
    return text
  }
  const handOver = (): void => {
    if (size > 0) sonic.write(take())
  }
  setInterval(handOver, opts.flushEveryMs).unref()
  const flushSync = (): void => {
    // At exit pino may have flushed and closed its destination already: what is pending here is newer
    // than all it wrote, so it is written straight after.
    if ((sonic as { destroyed?: boolean }).destroyed === true) {
      if (size > 0) writeSync(fd, take())
      return
    }
    handOver()
    sonic.flushSync()
  }
  process.once('exit', flushSync)
  return {
    write (line) {
      pending.push(line)
      size += line.length
      if (size >= opts.batchBytes) handOver()
    },
    flush (cb) {
      handOver()
      sonic.flush(cb)
    },
    flushSync
  }
}
