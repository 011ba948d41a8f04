import { readdirSync, readFileSync, writeFileSync } from 'node:fs'

const TICK_US = 10_000 // USER_HZ is 100 on Linux

/** The PIDs whose parent is `pid` (nginx's workers). */
export function childPids (pid: number): number[] {
  const found: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (statFields(Number(entry))[1] === String(pid)) found.push(Number(entry))
    } catch { /* the process ended meanwhile */ }
  }
  return found
}

/** /proc/PID/stat from the field after the command name (state is [0], ppid [1]). */
function statFields (pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
}

/** CPU time (user + system) used so far by `pid` and its direct children, µs, at 10 ms resolution. */
export function cpuMicros (pid: number): number {
  let ticks = 0
  for (const p of [pid, ...childPids(pid)]) {
    const f = statFields(p)
    ticks += Number(f[11]) + Number(f[12]) // utime, stime
  }
  return ticks * TICK_US
}

/** Resident set size of `pid`, bytes. */
export function rssBytes (pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024
}

/** Peak RSS since the last {@link resetPeakRss}, bytes. */
export function peakRssBytes (pid: number): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024
}

/** Resets the kernel's peak-RSS mark (VmHWM) to the current RSS. */
export function resetPeakRss (pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5')
}
