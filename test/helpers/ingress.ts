/**
 * Real ingresses for tests and benchmarks: nginx (Debian `nginx-light`, with `auth_request`) and Caddy 2
 * (Debian `caddy`, with `forward_auth`), each started on 127.0.0.1 from a config written to a fresh temp dir
 * (its pid file, logs and temp files there too; no root needed), stopped by the PID started.
 * @packageDocumentation
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { serverStopper } from './stop-server.ts'

/** A running ingress. */
export interface Ingress {
  url: string
  /** The process started (nginx's master, or caddy). */
  pid: number
  /** What it wrote to stderr and its error log so far (the tail). */
  log: () => string
  /** SIGTERM the PID started, wait for its exit, remove the dir. Safe to call twice. */
  stop: () => Promise<void>
}

/** How long an ingress gets to accept connections. */
const START_TIMEOUT_MS = 10_000

/**
 * nginx with `serverBlock` (one or more `server`/`upstream` blocks of `http { … }`) listening on `port`: in
 * the foreground (`daemon off`), one worker, no access log, every path in the temp dir (`-p`, `-e`).
 */
export async function startNginx (binary: string, serverBlock: string, port: number): Promise<Ingress> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-nginx-'))
  const kinds = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
  // Started as root, nginx's worker drops to an unprivileged user: it must reach and write its temp dirs.
  chmodSync(dir, 0o755)
  for (const kind of kinds) {
    mkdirSync(join(dir, kind))
    chmodSync(join(dir, kind), 0o777)
  }
  const temp = kinds.map((k) => `  ${k}_temp_path ${join(dir, k)};`).join('\n')
  writeFileSync(join(dir, 'server.conf'), serverBlock)
  writeFileSync(join(dir, 'nginx.conf'), [
    'daemon off;', 'worker_processes 1;', `pid ${join(dir, 'nginx.pid')};`, `error_log ${join(dir, 'error.log')} warn;`,
    'events { worker_connections 1024; }',
    'http {', '  access_log off;', temp, `  include ${join(dir, 'server.conf')};`, '}', ''
  ].join('\n'))
  const child = spawn(binary, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] })
  return await started(child, dir, port, 'nginx', join(dir, 'error.log'))
}

/** Caddy with `caddyfile`, its site on `port`; its data and config dirs (`XDG_*`, `HOME`) in the temp dir. */
export async function startCaddy (binary: string, caddyfile: string, port: number): Promise<Ingress> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-caddy-'))
  const file = join(dir, 'Caddyfile')
  writeFileSync(file, caddyfile)
  const env = { PATH: process.env.PATH ?? '', HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') }
  const child = spawn(binary, ['run', '--config', file, '--adapter', 'caddyfile'], { stdio: ['ignore', 'ignore', 'pipe'], env })
  return await started(child, dir, port, 'caddy')
}

async function started (child: ChildProcess, dir: string, port: number, name: string, errorLog?: string): Promise<Ingress> {
  let stderr = ''
  child.stderr?.on('data', (d) => { stderr = (stderr + String(d)).slice(-16_000) })
  const log = (): string => `${stderr}${errorLog === undefined ? '' : readTail(errorLog)}`
  const stop = serverStopper(child, dir)
  const deadline = Date.now() + START_TIMEOUT_MS
  while (Date.now() < deadline && child.exitCode === null) {
    if (await accepts(port)) return { url: `http://127.0.0.1:${port}`, pid: child.pid as number, log, stop }
    await sleep(25)
  }
  const why = log()
  await stop()
  throw new Error(`${name} did not start on port ${port}:\n${why}`)
}

function readTail (file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-16_000)
  } catch {
    return ''
  }
}

function accepts (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true) })
    socket.on('error', () => resolve(false))
  })
}
