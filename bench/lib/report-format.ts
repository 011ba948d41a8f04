/** `1 GiB`, `64 MiB`, or the bytes when not a whole number of MiB. */
export function sizeLabel (bytes: number): string {
  if (bytes >= 2 ** 30 && bytes % 2 ** 30 === 0) return `${bytes / 2 ** 30} GiB`
  if (bytes >= 2 ** 20 && bytes % 2 ** 20 === 0) return `${bytes / 2 ** 20} MiB`
  return `${bytes} B`
}

/** Bytes as decimal megabytes with one decimal (MB = 10⁶ B, as in MB/s). */
export const mb = (bytes: number): string => (bytes / 1e6).toFixed(1)

/** A met/missed verdict for a target line. */
export const verdict = (met: boolean): string => met ? '**met**' : '**missed**'
