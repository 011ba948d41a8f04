/** What {@link writeBytes} writes to: an HTTP request or response. */
interface Sink {
  write: (chunk: Buffer) => boolean
  once: (event: 'drain', listener: () => void) => unknown
  end: () => unknown
}

/**
 * Writes `bytes` bytes of `chunk` repeated (the last one cut short) and ends `out`, waiting for
 * `drain` whenever the socket is full: gigabytes go out without ever being held in memory.
 */
export function writeBytes (out: Sink, chunk: Buffer, bytes: number): void {
  let left = bytes
  const pump = (): void => {
    while (left > 0) {
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left)
      left -= piece.length
      if (!out.write(piece)) {
        out.once('drain', pump)
        return
      }
    }
    out.end()
  }
  pump()
}
