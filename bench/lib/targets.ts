import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, mkdirSync, openSync, readFileSync, watch, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { hashPassword } from '../../src/auth/password.ts'
import { childPids } from './proc.ts'
import { freePort } from '../../test/helpers/redis-server.ts'

/** A server the benchmark started, in a process of its own. */
export interface Target {
  url: string
  /** The process whose CPU and RSS are measured (nginx: its one worker). */
  pid: number
  stop: () => Promise<void>
}

export const BENCH_USER = 'bench'
export const BENCH_PASSWORD = 'bench password'
export const BENCH_TOKEN = 'bench-influx-token'

async function stopChild (child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill(signal)
  await exited
}

/** Runs one of `bench/servers/*.ts`, which prints `{"port":N}` once listening. */
export async function startScript (script: string, args: string[] = []): Promise<Target> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'servers', script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  const first = await createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next()
  if (first.done === true) throw new Error(`${script} did not start`)
  const { port } = JSON.parse(first.value) as { port: number }
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, stop: () => stopChild(child) }
}

async function waitFor (url: string, child: ChildProcess, logFile: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited\n${readFileSync(logFile, 'utf8')}`)
    try {
      if ((await fetch(url)).ok) return
    } catch { /* not listening yet */ }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${url} did not come up\n${readFileSync(logFile, 'utf8')}`)
}

/** Options for {@link startGateway}. */
export interface GatewayTargetOptions {
  dir: string
  name: string
  upstreamUrl: string
  /** Extra YAML lines at the top level (e.g. a `signin:` block). */
  extra?: string
  /** Extra node flags (e.g. `--cpu-prof`). */
  nodeFlags?: string[]
  /** The tree whose gateway runs (another commit's worktree); this one by default. */
  root?: string
  /** How node runs the CLI: {@link SOURCES} (through tsx, the default) or {@link COMPILED} (dist/, built first). */
  entry?: string[]
}

/** Node's arguments for the CLI from its TypeScript sources, through tsx. */
export const SOURCES = ['--import', 'tsx', 'src/cli.ts']
/** Node's arguments for the compiled CLI (`npm start`, the image); `npm run build` makes dist/. */
export const COMPILED = ['--enable-source-maps', 'dist/cli.js']

/** A started gateway, with how long it took from spawn to its `listening` line. */
export interface GatewayTarget extends Target {
  readyMs: number
}

/**
 * The gateway CLI as users run it (the default log level, one JSON line per request), from its sources
 * unless `entry` says otherwise, with its log in `dir` rather than on a terminal. `readyMs`: from spawn
 * to the `listening` line, read from the log file as it grows.
 */
export async function startGateway (opts: GatewayTargetOptions): Promise<GatewayTarget> {
  const port = await freePort()
  const config = join(opts.dir, `${opts.name}.yaml`)
  const log = join(opts.dir, `${opts.name}.log`)
  writeFileSync(config, [
    `server: { port: ${port} }`,
    `upstream: { url: "${opts.upstreamUrl}" }`,
    'users:',
    `  - { name: ${BENCH_USER}, passwordHash: "${await hashPassword(BENCH_PASSWORD)}", token: "\${BENCH_TOKEN}" }`,
    // Metrics on a listener of their own at any free port: several gateways run at once (a fixed port would clash).
    (opts.extra ?? '').includes('metrics:') ? '' : 'metrics: { port: 0 }',
    opts.extra ?? ''
  ].join('\n'))
  const out = openSync(log, 'a')
  const started = performance.now()
  const child = spawn(process.execPath, [...(opts.nodeFlags ?? []), ...(opts.entry ?? SOURCES), '--config', config], {
    cwd: opts.root ?? join(import.meta.dirname, '..', '..'),
    env: { ...process.env, BENCH_TOKEN, NODE_ENV: 'production' },
    stdio: ['ignore', out, out]
  })
  const readyMs = await waitForLine(log, '"msg":"listening"', child) - started
  const url = `http://127.0.0.1:${port}`
  await waitFor(`${url}/gateway/health`, child, log)
  return { url, pid: child.pid!, readyMs, stop: () => stopChild(child) }
}

/** When `marker` first appears in `file` (performance.now()): watched with fs.watch, not polled. */
async function waitForLine (file: string, marker: string, child: ChildProcess): Promise<number> {
  return await new Promise((resolve, reject) => {
    const check = (): void => {
      if (!readFileSync(file, 'utf8').includes(marker)) return
      done()
      resolve(performance.now())
    }
    const onExit = (): void => {
      done()
      reject(new Error(`${file}: the process ended before "${marker}"\n${readFileSync(file, 'utf8')}`))
    }
    // Watching starts before the first look, so no write falls between the two.
    const watcher = watch(file, check)
    const done = (): void => { watcher.close(); child.off('exit', onExit) }
    child.once('exit', onExit)
    check()
  })
}

/** Signs in as the bench user; resolves to the `Cookie` header value. */
export async function signIn (gatewayUrl: string): Promise<string> {
  const res = await fetch(`${gatewayUrl}/api/v2/signin`, { method: 'POST', headers: { authorization: basicAuth() } })
  if (res.status !== 204) throw new Error(`sign-in answered ${res.status}`)
  return (res.headers.get('set-cookie') ?? '').split(';')[0] as string
}

export const basicAuth = (): string => `Basic ${Buffer.from(`${BENCH_USER}:${BENCH_PASSWORD}`).toString('base64')}`

/**
 * What an ops person writes instead of the gateway: Debian's nginx, one worker, `proxy_pass` with
 * upstream keep-alive and a static `Authorization` header, access log on (as by default).
 */
export async function startNginx (dir: string, upstreamUrl: string): Promise<Target> {
  const port = await freePort()
  // Run as root, nginx's workers drop to an unprivileged user: they must be able to reach and
  // write their temp dirs (large bodies and responses are buffered to disk, as by default).
  chmodSync(dir, 0o755)
  for (const temp of ['client_body', 'proxy']) {
    mkdirSync(join(dir, temp), { recursive: true })
    chmodSync(join(dir, temp), 0o777)
  }
  const conf = join(dir, 'nginx.conf')
  writeFileSync(conf, `
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log ${dir}/nginx-access.log;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  upstream influxdb { server ${new URL(upstreamUrl).host}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 0;
    location / {
      proxy_pass http://influxdb;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization "Token ${BENCH_TOKEN}";
    }
  }
}
`)
  const log = join(dir, 'nginx-stderr.log')
  const out = openSync(log, 'a')
  const child = spawn('nginx', ['-c', conf, '-p', dir, '-g', 'daemon off;'], { stdio: ['ignore', out, out] })
  const url = `http://127.0.0.1:${port}`
  await waitFor(`${url}/ping`, child, log)
  // The worker does the work: its CPU and memory are what is measured (the master only supervises).
  const worker = childPids(child.pid!)[0]
  if (worker === undefined) throw new Error('nginx started no worker')
  return { url, pid: worker, stop: () => stopChild(child, 'SIGQUIT') }
}
