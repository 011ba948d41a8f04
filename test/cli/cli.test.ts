import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { test, type TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { hashPassword, verifyPassword } from '../../src/auth/password.ts'

/** The CLI as operators run it: a real process, real argv, stdin, env, signals and exit codes. */

const REPO = fileURLToPath(new URL('../..', import.meta.url))
/** Longest wait for a child to print a line or exit (tsx start-up included). */
const TIMEOUT_MS = 20_000

interface Cli {
  child: ChildProcess
  /** stdout lines so far. */
  lines: string[]
  stderr: () => string
  /** Resolves with the first stdout line (past or future) matching; rejects if the process ends first. */
  waitForLine: (predicate: (line: string) => boolean) => Promise<string>
  /** Resolves with the exit code (or the signal's name) once the process has ended and its output is read. */
  exited: Promise<number | string>
}

function cli (t: TestContext, args: string[], opts: { env?: NodeJS.ProcessEnv, stdin?: string } = {}): Cli {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
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
        lines.push(line)
        for (const w of waiters.filter((w) => w.predicate(line))) {
          waiters.splice(waiters.indexOf(w), 1)
          w.resolve(line)
        }
      })
      .on('close', resolve)
  })
  const stderrClosed = new Promise<void>((resolve) => child.stderr?.on('close', resolve))
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

async function withTimeout<T> (promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${TIMEOUT_MS} ms`)), TIMEOUT_MS)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** A temporary file holding `text`, removed after the test. */
function tempFile (t: TestContext, name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'influx-gateway-cli-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, name)
  writeFileSync(file, text)
  return file
}

function jsonLines (lines: string[]): Array<Record<string, unknown>> {
  return lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
}

const isLog = (msg: string) => (line: string): boolean => {
  try {
    return (JSON.parse(line) as { msg?: unknown }).msg === msg
  } catch {
    return false
  }
}

/** A usable config for a gateway on a free port; the token comes from `$ALICE_TOKEN`. */
async function validConfig (): Promise<string> {
  const hash = await hashPassword('alice password', { ln: 10, r: 8, p: 1 })
  return [
    'server: { host: 127.0.0.1, port: 0 }',
    'upstream: { url: "http://127.0.0.1:9" }',
    'log: { level: info }',
    'users:',
    '  - name: alice',
    `    passwordHash: "${hash}"`,
    '    token: ${ALICE_TOKEN}',
    ''
  ].join('\n')
}

const SECRET = 'sup3r-s3cret-token-value'

/** A config with several problems at once; the one secret that is set must never be printed. */
async function invalidConfig (): Promise<{ yaml: string, problems: string[] }> {
  const hash = await hashPassword('x', { ln: 10, r: 8, p: 1 })

  const yaml = [
    'server: { host: 127.0.0.1, port: 0, bogus: 1 }',
    'upstream: { url: "${UNSET_INFLUX_URL_FOR_TEST}" }',
    'session: { idleTimeout: 10 minutes }',
    'users:',
    '  - name: alice',
    `    passwordHash: "${hash}"`,
    '    token: ${ALICE_TOKEN}',
    '  - name: bob',
    '    token: ${ALICE_TOKEN}',
    ''
  ].join('\n')
  return {
    yaml,
    problems: [
      'server.bogus: unknown key',
      'upstream.url: environment variable UNSET_INFLUX_URL_FOR_TEST is not set',
      'session.idleTimeout: invalid duration',
      'users.1.passwordHash: required'
    ]
  }
}

test('hash-password prints one scrypt hash of the password on stdin', async (t) => {
  const run = cli(t, ['hash-password'], { stdin: 'correct horse battery staple\n' })
  assert.equal(await run.exited, 0, run.stderr())
  assert.equal(run.lines.length, 1, run.lines.join('\n'))
  const hash = run.lines[0] as string
  assert.match(hash, /^\$scrypt\$ln=\d+,r=\d+,p=\d+\$\S+\$\S+$/)
  assert.equal(await verifyPassword('correct horse battery staple', hash), true)
  assert.equal(await verifyPassword('correct horse battery stapler', hash), false)
})

test('hash-password refuses an empty stdin', async (t) => {
  const run = cli(t, ['hash-password'], { stdin: '' })
  assert.notEqual(await run.exited, 0)
  assert.deepEqual(run.lines, [])
  assert.match(run.stderr(), /empty password/)
})

test('check-config prints ok for a valid file', async (t) => {
  const file = tempFile(t, 'gateway.yaml', await validConfig())
  const run = cli(t, ['check-config', '--config', file], { env: { ...process.env, ALICE_TOKEN: SECRET } })
  assert.equal(await run.exited, 0, run.stderr())
  assert.deepEqual(run.lines, ['ok'])
})

test('check-config reports every problem with its YAML path, and no secret', async (t) => {
  const { yaml, problems } = await invalidConfig()
  const file = tempFile(t, 'gateway.yaml', yaml)
  const env: NodeJS.ProcessEnv = { ...process.env, ALICE_TOKEN: SECRET }
  delete env.UNSET_INFLUX_URL_FOR_TEST
  const run = cli(t, ['check-config', '--config', file], { env })
  assert.equal(await run.exited, 1)
  const stderr = run.stderr()
  for (const problem of problems) assert.ok(stderr.includes(problem), `missing "${problem}" in:\n${stderr}`)
  assert.ok(!run.lines.includes('ok'))
  assert.ok(!stderr.includes(SECRET) && !run.lines.join('\n').includes(SECRET), 'a secret was printed')
})

test('the gateway serves, then stops cleanly on SIGTERM', async (t) => {
  const file = tempFile(t, 'gateway.yaml', await validConfig())
  const run = cli(t, ['--config', file], { env: { ...process.env, ALICE_TOKEN: SECRET } })
  const listening = JSON.parse(await run.waitForLine(isLog('listening'))) as { url?: unknown }
  assert.equal(typeof listening.url, 'string')
  const res = await fetch(`${listening.url as string}/api/v2/signin`, { method: 'POST' })
  assert.equal(res.status, 401)
  assert.deepEqual(await res.json(), { code: 'unauthorized', message: 'unauthorized access' })
  process.kill(run.child.pid as number, 'SIGTERM')
  assert.equal(await run.exited, 0, run.stderr())
  assert.ok(run.lines.some(isLog('stopped')), run.lines.join('\n'))
  assert.ok(!run.lines.join('\n').includes(SECRET), 'a secret was logged')
})

test('the committed default config starts with no environment but PATH, HOME and GATEWAY_PORT', async (t) => {
  const env: NodeJS.ProcessEnv = { GATEWAY_PORT: '0' }
  if (process.env.PATH !== undefined) env.PATH = process.env.PATH
  if (process.env.HOME !== undefined) env.HOME = process.env.HOME
  const run = cli(t, [], { env })
  const listening = JSON.parse(await run.waitForLine(isLog('listening'))) as { url?: unknown }
  assert.match(String(listening.url), /^http:\/\/127\.0\.0\.1:\d+$/)
  assert.doesNotMatch(String(listening.url), /:8080$/)
  await run.waitForLine((line) => line.includes('hash-password'))
  process.kill(run.child.pid as number, 'SIGTERM')
  assert.equal(await run.exited, 0, run.stderr())
  assert.ok(jsonLines(run.lines).some((l) => l.msg === 'stopped'))
})

test('an invalid config stops the gateway before it listens, errors on stderr', async (t) => {
  const { yaml, problems } = await invalidConfig()
  const file = tempFile(t, 'gateway.yaml', yaml)
  const env: NodeJS.ProcessEnv = { ...process.env, ALICE_TOKEN: SECRET }
  delete env.UNSET_INFLUX_URL_FOR_TEST
  const run = cli(t, ['--config', file], { env })
  const code = await run.exited
  assert.notEqual(code, 0)
  assert.ok(!run.lines.some(isLog('listening')), run.lines.join('\n'))
  for (const problem of problems) assert.ok(run.stderr().includes(problem), `missing "${problem}" in:\n${run.stderr()}`)
  assert.ok(!run.stderr().includes(SECRET), 'a secret was printed')
})

test('--version prints the package version', async (t) => {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }
  const run = cli(t, ['--version'])
  assert.equal(await run.exited, 0, run.stderr())
  assert.deepEqual(run.lines, [pkg.version])
})
