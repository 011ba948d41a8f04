import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'

/** Longest wait for a line or an exit (tsx start-up included): a line that never comes fails the run, not hangs it. */
const WAIT_MS = 20_000

/** A gateway CLI process of some tree, driven only from outside: its stdout lines, signals, exit. */
export interface GatewayProcess {
  /** Every stdout line so far, in order. */
  lines: string[]
  stderr: () => string
  /** Resolves once `count` stdout lines (past or future) match; rejects if the process ends or {@link WAIT_MS} passes first. */
  waitForLines: (predicate: (line: string) => boolean, count?: number) => Promise<void>
  /** SIGTERM (SIGKILL after {@link WAIT_MS}), then resolves once the process has exited and its output is read. */
  stop: () => Promise<void>
}

/** Runs `node --import tsx src/cli.ts --config <config>` in `root` (any commit's tree) with `env` added. */
export function startGatewayProcess (root: string, config: string, env: Record<string, string>): GatewayProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', '--config', config], {
    cwd: root,
    env: { ...process.env, ...env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const lines: string[] = []
  const wakers = new Set<() => void>()
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const stdoutDone = once(createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line)
    for (const wake of [...wakers]) wake()
  }), 'close')
  const exited = once(child, 'close').then(async () => { await stdoutDone })
  const waitForLines = (predicate: (line: string) => boolean, count = 1): Promise<void> => new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      wakers.delete(check)
      clearTimeout(timer)
      if (err === undefined) resolve()
      else reject(err)
    }
    const failure = (why: string): Error =>
      new Error(`${why} before ${count} matching line(s); stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`)
    const check = (): void => { if (lines.filter(predicate).length >= count) done() }
    const timer = setTimeout(() => done(failure(`${WAIT_MS} ms passed`)), WAIT_MS)
    wakers.add(check)
    exited.then(() => { check(); if (wakers.has(check)) done(failure('the gateway exited')) }, done)
    check()
  })
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return await exited
    child.kill('SIGTERM')
    // A gateway that does not stop is killed rather than left behind (its missing lines then show in the diff).
    const kill = setTimeout(() => child.kill('SIGKILL'), WAIT_MS)
    await exited
    clearTimeout(kill)
  }
  return { lines, stderr: () => stderr, waitForLines, stop }
}

/** A stdout line's JSON, or undefined when the line is not a JSON object. */
export function parseLine (line: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(line)
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed as Record<string, unknown> : undefined
  } catch {
    return undefined
  }
}

/** A predicate on stdout lines: the JSON line's `msg` is `msg` (and its fields include `fields`). */
export function isLine (msg: string, fields: Record<string, unknown> = {}): (line: string) => boolean {
  return (line) => {
    const parsed = parseLine(line)
    return parsed?.msg === msg && Object.entries(fields).every(([k, v]) => parsed[k] === v)
  }
}
