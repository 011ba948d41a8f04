import { peakRssBytes, resetPeakRss, rssBytes } from './proc.ts'

/** A running peak-RSS measurement of one process. */
export interface PeakRssWatch {
  /** `VmHWM` (the kernel's mark, reset at start) or `sampled` (VmRSS every 20 ms). */
  method: 'VmHWM' | 'sampled'
  /** Ends the measurement; resolves to the peak RSS since it began, bytes. */
  stop: () => number
}

const SAMPLE_MS = 20

/**
 * Watches the peak RSS of `pid` from now on: resets the kernel's VmHWM and reads it at the end, or,
 * where the reset is refused or has no effect, samples VmRSS every 20 ms (which can miss a short spike).
 */
export function watchPeakRss (pid: number): PeakRssWatch {
  try {
    resetPeakRss(pid)
    if (peakRssBytes(pid) <= rssBytes(pid) + 1024 * 1024) return { method: 'VmHWM', stop: () => peakRssBytes(pid) }
  } catch { /* no /proc/PID/clear_refs, or not ours to write */ }
  let peak = rssBytes(pid)
  const timer = setInterval(() => { peak = Math.max(peak, rssBytes(pid)) }, SAMPLE_MS)
  return {
    method: 'sampled',
    stop: () => {
      clearInterval(timer)
      return Math.max(peak, rssBytes(pid))
    }
  }
}
