/**
 * Test harness that starts a real InfluxDB 1.x (`influxd`, Debian package `influxdb`) on loopback ports,
 * with authentication on, a random `[http] shared-secret` and a random admin.
 *
 * @example
 * ```ts
 * const binary = requireBinary('influxd', 'influxdb', 'real InfluxDB 1.x')
 * test('…', { skip: binary === undefined ? 'influxd not installed' : false }, async (t) => {
 *   const influxd = await startInfluxd(binary as string)
 *   t.after(() => influxd.stop()) // register before anything can throw, so a failing test still stops it
 *   await influxd.query('CREATE DATABASE "db"')
 * })
 * ```
 * @packageDocumentation
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { rmSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

/** A running InfluxDB 1.x started by {@link startInfluxd}. */
export interface Influxd {
  /** `http://127.0.0.1:PORT` */
  url: string
  /** The `[http] shared-secret` that signs HS256 JWTs (random per start). */
  sharedSecret: string
  /** The admin user (all privileges) created at start. */
  admin: { username: string, password: string }
  /**
   * Runs an InfluxQL statement as admin (`POST /query` with Basic auth, form-encoded `q=…`, optional `db`);
   * throws with the response text on non-2xx or on a result `error`. Returns the parsed JSON.
   */
  query (q: string, db?: string): Promise<unknown>
  /**
   * SIGTERMs the influxd PID it started, waits for it to exit (SIGKILL after 5 s) and removes the temp dir.
   * Safe to call more than once; register it with `t.after(() => influxd.stop())`.
   */
  stop (): Promise<void>
}

/** The only host the harness binds to or talks to. */
const HOST = '127.0.0.1'
/** How often `/ping` is polled while influxd starts. */
const POLL_MS = 25
/** How long influxd gets to answer `/ping`. */
const START_TIMEOUT_MS = 15_000
/** Longest wait for one admin statement's answer. */
const QUERY_TIMEOUT_MS = 30_000
/** How long influxd gets to exit after SIGTERM before it is SIGKILLed. */
const STOP_GRACE_MS = 5_000
/** How much of influxd's output is kept for error messages. */
const LOG_LIMIT = 64 * 1024
/** How often start is retried when a probed free port was taken by someone else meanwhile. */
const PORT_RETRIES = 3

/** Where one influxd keeps its files and listens. */
interface Layout {
  dir: string
  configFile: string
  httpPort: number
  rpcPort: number
  sharedSecret: string
}

/** The spawned process and what it printed. */
interface Running {
  child: ChildProcess
  log: () => string
  /** Settles once the process has exited and its output is drained ('close'), or could not be spawned ('error'). */
  ended: Promise<void>
}

/** Finds `count` distinct free loopback ports by listening on port 0 (all at once) and closing. */
async function freePorts (count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer())
  try {
    return await Promise.all(servers.map(async (server) => {
      server.listen(0, HOST)
      await once(server, 'listening')
      return (server.address() as AddressInfo).port
    }))
  } finally {
    await Promise.all(servers.map(async (server) => {
      if (server.listening) await new Promise((resolve) => server.close(resolve))
    }))
  }
}

/** A TOML basic string (JSON string escapes are valid TOML). */
function tomlString (value: string): string {
  return JSON.stringify(value)
}

/**
 * The influxd config: loopback only, auth on, everything that would open another port, write
 * `_internal` data or talk to the network switched off.
 */
function renderConfig (layout: Layout): string {
  const { dir, httpPort, rpcPort, sharedSecret } = layout
  return `reporting-enabled = false
bind-address = ${tomlString(`${HOST}:${rpcPort}`)}

[meta]
  dir = ${tomlString(join(dir, 'meta'))}

[data]
  dir = ${tomlString(join(dir, 'data'))}
  wal-dir = ${tomlString(join(dir, 'wal'))}
  query-log-enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false

[http]
  enabled = true
  bind-address = ${tomlString(`${HOST}:${httpPort}`)}
  auth-enabled = true
  shared-secret = ${tomlString(sharedSecret)}
  log-enabled = false
  https-enabled = false
  unix-socket-enabled = false

[ifql]
  enabled = false

[logging]
  suppress-logo = true

[[graphite]]
  enabled = false

[[collectd]]
  enabled = false

[[opentsdb]]
  enabled = false

[[udp]]
  enabled = false
`
}

/** Creates the temp dir, picks ports and writes the config file. */
async function prepare (): Promise<Layout> {
  const dir = await mkdtemp(join(tmpdir(), 'influxd-test-'))
  try {
    const [httpPort, rpcPort] = await freePorts(2) as [number, number]
    const layout = {
      dir,
      configFile: join(dir, 'influxdb.conf'),
      httpPort,
      rpcPort,
      sharedSecret: randomBytes(32).toString('hex')
    }
    await writeFile(layout.configFile, renderConfig(layout), { mode: 0o600 })
    return layout
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }
}

/** The environment for influxd: ours, minus `INFLUXDB_*` variables that would override the config file. */
function childEnv (): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('INFLUXDB_')))
}

/** Spawns `influxd run -config FILE` directly (so the PID is influxd's) and captures its output. */
function spawnInfluxd (binary: string, layout: Layout): Running {
  const child = spawn(binary, ['run', '-config', layout.configFile], {
    cwd: layout.dir,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let log = ''
  const append = (chunk: Buffer): void => {
    log = (log + chunk.toString('utf8')).slice(-LOG_LIMIT)
  }
  child.stdout?.on('data', append)
  child.stderr?.on('data', append)
  const ended = new Promise<void>((resolve) => {
    child.once('error', (error) => { append(Buffer.from(`\nspawn error: ${error.message}\n`)); resolve() })
    child.once('close', () => resolve())
  })
  return { child, log: () => log, ended }
}

/**
 * Whether the child (process handle and output pipes) keeps the event loop alive. Held while starting and
 * stopping, so waiting for it works; released once started, so a forgotten stop() does not keep the test
 * process alive (the process 'exit' hook still kills influxd).
 */
function holdOpen (running: Running, hold: boolean): void {
  const handles = [running.child, running.child.stdout, running.child.stderr] as Array<Pick<Socket, 'ref' | 'unref'> | null>
  for (const handle of handles) {
    if (hold) handle?.ref()
    else handle?.unref()
  }
}

/** True once the process has exited (or never started). */
function hasExited (child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null || child.pid === undefined
}

/** One `GET /ping`; true on 204. */
async function pingOnce (url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1_000) })
    await response.arrayBuffer()
    return response.status === 204
  } catch {
    return false
  }
}

/** Polls `/ping` every {@link POLL_MS} until it answers 204; rejects with the log on early exit or timeout. */
async function waitForPing (url: string, running: Running): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS
  for (;;) {
    if (hasExited(running.child)) {
      await running.ended
      throw new Error(`influxd exited before answering /ping (code ${running.child.exitCode}, signal ${running.child.signalCode}):\n${running.log()}`)
    }
    if (await pingOnce(url)) return
    if (Date.now() > deadline) {
      throw new Error(`influxd did not answer ${url}/ping within ${START_TIMEOUT_MS} ms:\n${running.log()}`)
    }
    await sleep(POLL_MS)
  }
}

/** Basic `Authorization` header value. */
function basic (username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
}

/** The first `error` in an InfluxDB `/query` answer (top level or per result), if any. */
function resultError (body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const { error, results } = body as { error?: unknown, results?: unknown }
  if (typeof error === 'string') return error
  if (!Array.isArray(results)) return undefined
  const failed = results.find((result) => typeof (result as { error?: unknown } | null)?.error === 'string')
  return failed === undefined ? undefined : (failed as { error: string }).error
}

/** `POST /query` with a form body; throws on non-2xx or a result error; returns the parsed JSON. */
async function postQuery (url: string, q: string, db: string | undefined, authorization?: string): Promise<unknown> {
  const form = new URLSearchParams({ q })
  if (db !== undefined) form.set('db', db)
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
  if (authorization !== undefined) headers.authorization = authorization
  const response = await fetch(`${url}/query`, { method: 'POST', headers, body: form, signal: AbortSignal.timeout(QUERY_TIMEOUT_MS) })
  const text = await response.text()
  if (!response.ok) throw new Error(`influxd ${q} → ${response.status}: ${text}`)
  const body: unknown = JSON.parse(text)
  const error = resultError(body)
  if (error !== undefined) throw new Error(`influxd ${q} → error: ${error} (${text})`)
  return body
}

/** Waits up to `ms` for the process to exit; true if it did. The timer is cleared so it holds nothing open. */
async function exitsWithin (running: Running, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => { timer = setTimeout(resolve, ms, false) })
  try {
    return await Promise.race([running.ended.then(() => true), timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Builds the idempotent stop(): SIGTERM, wait, SIGKILL after {@link STOP_GRACE_MS}, remove the temp dir. */
function makeStop (running: Running, dir: string): () => Promise<void> {
  const { child } = running
  const onExit = (): void => {
    if (!hasExited(child)) child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
  process.once('exit', onExit)
  let stopping: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    process.removeListener('exit', onExit)
    holdOpen(running, true)
    if (!hasExited(child)) {
      child.kill('SIGTERM')
      if (!await exitsWithin(running, STOP_GRACE_MS) && !hasExited(child)) {
        child.kill('SIGKILL')
        await running.ended
      }
    }
    await rm(dir, { recursive: true, force: true })
  }
  return async () => {
    stopping ??= stop()
    return stopping
  }
}

/** One start attempt: prepare, spawn, wait for /ping, create the admin. Cleans up after itself on failure. */
async function startOnce (binary: string): Promise<Influxd> {
  const layout = await prepare()
  const url = `http://${HOST}:${layout.httpPort}`
  const running = spawnInfluxd(binary, layout)
  const stop = makeStop(running, layout.dir)
  const admin = { username: 'admin', password: randomBytes(24).toString('hex') }
  try {
    await waitForPing(url, running)
    await postQuery(url, `CREATE USER "${admin.username}" WITH PASSWORD '${admin.password}' WITH ALL PRIVILEGES`, undefined)
  } catch (error) {
    await stop()
    throw error
  }
  holdOpen(running, false)
  const authorization = basic(admin.username, admin.password)
  return {
    url,
    sharedSecret: layout.sharedSecret,
    admin,
    query: async (q, db) => postQuery(url, q, db, authorization),
    stop
  }
}

/** True when a failed start looks like a lost race for a probed free port. */
function isPortRace (error: unknown): boolean {
  return error instanceof Error && /address already in use/i.test(error.message)
}

/**
 * Starts a real InfluxDB 1.x for tests: a fresh temp dir and config, loopback HTTP and RPC ports, auth on,
 * a random shared secret and a random admin. Resolves once `/ping` answers 204 and the admin exists.
 * Callers must register `t.after(() => influxd.stop())`; a process exit without stop() still SIGKILLs it.
 *
 * @param binary - path to `influxd` (see `requireBinary`)
 */
export async function startInfluxd (binary: string): Promise<Influxd> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(binary)
    } catch (error) {
      if (attempt >= PORT_RETRIES || !isPortRace(error)) throw error
    }
  }
}
