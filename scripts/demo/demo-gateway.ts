/**
 * The demo's gateway: the real CLI (`src/cli.ts`) in a child process, as `npm start` runs it, with its
 * JSON log lines shown through pino-pretty.
 * @packageDocumentation
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { prettyFactory } from 'pino-pretty'
import { recordLogLines } from '../../test/helpers/secret-ledger.ts'
import type { Cleanup } from './cleanup.ts'

const REPO = fileURLToPath(new URL('../..', import.meta.url))

/** A gateway that logged `listening`. */
export interface DemoGateway {
  url: string
  metricsUrl: string
  pid: number
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<number | string>
}

/** Options for {@link startDemoGateway}. */
export interface DemoGatewayOptions {
  configFile: string
  /** Added to this process's environment for the gateway: the config's secrets. */
  env: Record<string, string>
  /** Where log lines go, made readable. */
  write: (text: string) => void
  colorize: boolean
}

/** Starts the gateway, resolving once it listens (rejecting if it exits first); `cleanup` stops it. */
export async function startDemoGateway (cleanup: Cleanup, opts: DemoGatewayOptions): Promise<DemoGateway> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', '--config', opts.configFile], {
    cwd: REPO,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const exited = new Promise<number | string>((resolve) => child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown')))
  cleanup.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
  })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; opts.write(chunk) })
  const pretty = prettyFactory({ colorize: opts.colorize, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,service' })
  return await new Promise<DemoGateway>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      recordLogLines([line], 'demo-gateway') // the test suite's log-secret check; nothing outside the tests
      const entry = parse(line)
      opts.write(entry === undefined ? `${line}\n` : pretty(entry))
      if (entry?.msg === 'listening' && child.pid !== undefined) {
        resolve({ url: String(entry.url), metricsUrl: String(entry.metrics), pid: child.pid, exited })
      }
    })
    exited.then((code) => reject(new Error(`the gateway exited (${code}) before it listened${stderr === '' ? '' : `: ${stderr.trim()}`}`)))
  })
}

function parse (line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line)
    return typeof value === 'object' && value !== null ? value as Record<string, unknown> : undefined
  } catch {
    return undefined
  }
}
