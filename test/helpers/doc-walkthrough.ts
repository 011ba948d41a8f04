/**
 * Runs a walkthrough block of the docs as a reader would, in a throw-away copy of the repository's
 * entry points: each command through bash, in order, with `npm start` left running in the background
 * and the YAML the block shows in comments put into that copy's `config/gateway.yaml`.
 *
 * The reader's own settings are the test's: an `export NAME=…` line whose NAME the test sets puts the
 * test's value into the environment at that point, not before, and the addresses the block names (`127.0.0.1:8080`, `127.0.0.1:8086`) are replaced by those of
 * the gateway and InfluxDB the test started on free ports. A value an `export` line computes is recorded in
 * the log-secret ledger (the walkthroughs export only credentials).
 * @packageDocumentation
 */
import { execFile, spawn } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { TestContext } from 'node:test'
import { promisify } from 'node:util'
import { REPO, withTimeout } from './cli-process.ts'
import { commandLines, commentedYaml, type ShellBlock } from './doc-commands.ts'
import { recordLogLines, recordSecret } from './secret-ledger.ts'

const run = promisify(execFile)
/** Longest a walkthrough command may take: the first one builds `dist/` in the copy. */
const BUILD_MS = 180_000

/** What the copy links to (read-only) rather than copies. */
const LINKED = ['package.json', 'node_modules', 'src', 'tsconfig.json', 'tsconfig.build.json']

/** One command of the walkthrough and what it printed. */
export interface StepOutput { command: string, stdout: string, stderr: string }

/** Options for {@link runWalkthrough}. */
export interface WalkthroughOptions {
  /** The environment the reader has set (their tokens, INFLUX_URL, GATEWAY_PORT); `export` lines for these are skipped. */
  env: Record<string, string>
  /** Text replaced in every command before it runs, e.g. `['127.0.0.1:8080', '127.0.0.1:43127']`. */
  replace: Array<[string, string]>
}

/** A finished walkthrough: each command's output, and the gateway's log lines. */
export interface Walkthrough {
  steps: StepOutput[]
  /** The output of the first command containing `text`. */
  output (text: string): string
  gatewayLines: string[]
}

/** Runs `block` in a fresh copy; the gateway it started is stopped (SIGTERM, its process group) before it returns. */
export async function runWalkthrough (t: TestContext, block: ShellBlock, opts: WalkthroughOptions): Promise<Walkthrough> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-walkthrough-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  for (const name of LINKED) symlinkSync(join(REPO, name), join(dir, name))
  cpSync(join(REPO, 'config'), join(dir, 'config'), { recursive: true })
  // The reader's settings that the block itself exports reach the environment at their `export` line, not before.
  const exportedLater = new Set(commandLines(block).map((c) => /^export ([A-Za-z_]\w*)=/.exec(c)?.[1]))
  const given = Object.entries(opts.env).filter(([name]) => !exportedLater.has(name))
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...Object.fromEntries(given) }
  const steps: StepOutput[] = []
  const gateway: { lines: string[], stop?: () => Promise<void> } = { lines: [] }
  t.after(async () => await gateway.stop?.())
  for (const raw of commandLines(block)) {
    const command = opts.replace.reduce((c, [from, to]) => c.split(from).join(to), raw)
    const exported = /^export ([A-Za-z_]\w*)=/.exec(command)?.[1]
    if (exported !== undefined && exported in opts.env) { env[exported] = opts.env[exported]; continue }
    if (/^npm start\b/.test(command)) {
      gateway.stop = await startInBackground(command, dir, env, gateway.lines)
      continue
    }
    const script = exported === undefined ? command : `${command}\nprintf %s "$${exported}"`
    // A reader's first npm script builds dist/ (tsc, several seconds of CPU on a busy machine).
    const { stdout, stderr } = await withTimeout(run('bash', ['-c', script], { cwd: dir, env }), command, BUILD_MS)
    if (exported !== undefined) { env[exported] = stdout; recordSecret(stdout, `env:${exported}`) }
    steps.push({ command, stdout, stderr })
    if (command.includes('hash-password')) putCommentedYaml(block, dir, stdout.trim())
  }
  await gateway.stop?.()
  const output = (text: string): string => steps.find((s) => s.command.includes(text))?.stdout ?? ''
  return { steps, output, gatewayLines: gateway.lines }
}

/**
 * Writes the block's commented YAML into the copy's config, each top-level section in place of the file's
 * empty one (`users: []`), the `$scrypt$…` placeholder replaced by `hash`. As text: `${VAR}` inside a flow
 * map is the gateway's syntax, not YAML's, until the gateway's loader takes it out.
 */
function putCommentedYaml (block: ShellBlock, dir: string, hash: string): void {
  const file = join(dir, 'config', 'gateway.yaml')
  const shown = commentedYaml(block).replace(/"\$scrypt\$[^"]*…[^"]*"/g, () => JSON.stringify(hash))
  let config = readFileSync(file, 'utf8')
  for (const section of shown.split(/\n(?=\S)/)) {
    const key = /^(\w+):/.exec(section)?.[1]
    const empty = new RegExp(`^${key ?? ''}: \\[\\]$`, 'm')
    if (key === undefined || !empty.test(config)) throw new Error(`config/gateway.yaml has no empty ${key ?? section} to replace`)
    config = config.replace(empty, () => section)
  }
  writeFileSync(file, config)
}

/** Starts `command` in its own process group; resolves once the gateway logs `listening`, with a stop function. */
async function startInBackground (command: string, cwd: string, env: NodeJS.ProcessEnv, lines: string[]): Promise<() => Promise<void>> {
  const child = spawn('bash', ['-c', `exec ${command}`], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve())) // its output read to the end
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  const listening = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line)
      recordLogLines([line], 'walkthrough')
      if (line.includes('"msg":"listening"')) resolve()
    })
    exited.then(() => reject(new Error(`${command} exited before listening:\n${lines.join('\n')}\n${stderr}`)))
  })
  let stopped = false
  const stop = async (): Promise<void> => {
    if (stopped || child.pid === undefined) return
    stopped = true
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid, 'SIGTERM')
    await withTimeout(exited, `${command} exit`)
  }
  await withTimeout(listening, `${command} listening`, BUILD_MS).catch(async (err: unknown) => { await stop(); throw err })
  return stop
}
