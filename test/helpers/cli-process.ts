import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { recordLogLines, recordSecret } from './secret-ledger.ts'

/** The CLI as operators run it: a real process, real argv, stdin, env, signals and exit codes. */

export const REPO = fileURLToPath(new URL('../..', import.meta.url))
/** Longest wait for a child to print a line or exit (tsx start-up included). */
const TIMEOUT_MS = 20_000

export interface Cli {
  child: ChildProcess
  /** stdout lines so far. */
  lines: string[]
  stderr: () => string
  /** Resolves with the first stdout line (past or future) matching; rejects if the process ends first. */
  waitForLine: (predicate: (line: string) => boolean) => Promise<string>
  /** Resolves with the exit code (or the signal's name) once the process has ended and its output is read. */
  exited: Promise<number | string>
}

/** Environment variables whose values the log-secret ledger treats as secrets unless `secretEnv` names others. */
const SECRET_ENV = /TOKEN|PASSWORD|PASSWD|SECRET|CREDENTIAL|API_?KEY/i

/** Node's arguments that run the CLI from its TypeScript sources, through tsx. */
const SOURCES = ['--import', 'tsx', 'src/cli.ts']

export interface CliOptions {
  env?: NodeJS.ProcessEnv
  stdin?: string
  secretEnv?: string[]
  /** Node's arguments before the CLI's (default: the sources through tsx); the compiled CLI is `['dist/cli.js']`. */
  entry?: string[]
}

/**
 * Runs the CLI. For the log-secret ledger (secret-ledger.ts) every stdout and stderr line is recorded, and
 * as secrets: the values of `secretEnv` (default: variables the test set whose names look secret), and the
 * password a `hash-password` run reads from stdin.
 */
export function cli (t: TestContext, args: string[], opts: CliOptions = {}): Cli {
  const env = opts.env ?? {}
  for (const name of opts.secretEnv ?? Object.keys(env).filter((n) => SECRET_ENV.test(n) && env[n] !== process.env[n])) recordSecret(env[name], `env:${name}`)
  if (args[0] === 'hash-password') recordSecret(opts.stdin?.trim(), 'password')
  const child = spawn(process.execPath, [...(opts.entry ?? SOURCES), ...args], {
    cwd: REPO,
    env: opts.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe']
  })
  t.after(() => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL')
  })
  const lines: string[] = []
  const waiters: Array<{ predicate: (line: string) => boolean, resolve: (line: string) => void }> = []
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const stdoutClosed = new Promise<void>((resolve) => {
    createInterface({ input: child.stdout! })
      .on('line', (line) => {
        recordLogLines([line], 'cli')
        lines.push(line)
        for (const w of waiters.filter((w) => w.predicate(line))) {
          waiters.splice(waiters.indexOf(w), 1)
          w.resolve(line)
        }
      })
      .on('close', resolve)
  })
  const stderrClosed = new Promise<void>((resolve) => child.stderr?.on('close', () => { recordLogLines([stderr], 'cli-stderr'); resolve() }))
  const exited = new Promise<number | string>((resolve) => {
    child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown'))
  }).then(async (result) => { await Promise.all([stdoutClosed, stderrClosed]); return result })
  child.stdin?.end(opts.stdin ?? '')

  const waitForLine = (predicate: (line: string) => boolean): Promise<string> => {
    const seen = lines.find(predicate)
    if (seen !== undefined) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching line within ${TIMEOUT_MS} ms; stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`)), TIMEOUT_MS)
      waiters.push({ predicate, resolve: (line) => { clearTimeout(timer); resolve(line) } })
      exited.then((code) => {
        clearTimeout(timer)
        reject(new Error(`exited (${code}) before the line appeared; stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`))
      }, reject)
    })
  }
  return { child, lines, stderr: () => stderr, waitForLine, exited: withTimeout(exited, 'exit') }
}

/** `promise`, or a rejection naming `what` after `ms` (default {@link TIMEOUT_MS}). */
export async function withTimeout<T> (promise: Promise<T>, what: string, ms = TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** A temporary file holding `text`, removed after the test. */
export function tempFile (t: TestContext, name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'influx-gateway-cli-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, name)
  writeFileSync(file, text)
  return file
}

export function jsonLines (lines: string[]): Array<Record<string, unknown>> {
  return lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
}

export const isLog = (msg: string) => (line: string): boolean => {
  try {
    return (JSON.parse(line) as { msg?: unknown }).msg === msg
  } catch {
    return false
  }
}
