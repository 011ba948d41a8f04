import type { ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'

/**
 * A stop function for a server a test harness started from a temp dir (redis-server, slapd): wakes it if a
 * test paused it (SIGSTOP), ends it with SIGTERM, waits for its exit, removes the dir. Safe to call twice.
 */
export function serverStopper (child: ChildProcess, dir: string): () => Promise<void> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let stopped = false
  return async () => {
    if (stopped) return
    stopped = true
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT')
      child.kill('SIGTERM')
      await exited
    }
    rmSync(dir, { recursive: true, force: true })
  }
}
