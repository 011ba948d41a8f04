import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serverStopper } from './stop-server.ts'

/** Longest wait for one raw command's reply. */
const COMMAND_TIMEOUT_MS = 5_000
/** Longest wait for a starting redis-server to answer PING. */
const START_TIMEOUT_MS = 10_000

/** A redis-server this test process started on 127.0.0.1. */
export interface RedisServer {
  url: string
  port: number
  /** SIGSTOP: Redis hangs (connections stay open, nothing answers). */
  pause (): void
  /** SIGCONT after pause. */
  resume (): void
  /** SIGKILL the PID it started: Redis dies at once, without a word to its clients or replicas. */
  kill (): void
  /** Runs one command with a fresh raw connection and resolves to the raw RESP reply. */
  command (...args: string[]): Promise<string>
  /** SIGTERM the PID it started, wait for exit, remove its directory. Safe to call twice. */
  stop (): Promise<void>
}

/** A free loopback port (listen on 0, close). */
export async function freePort (): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/**
 * Starts `redis-server` directly (the PID held is redis's) with no persistence, on `port` (default:
 * a free one), and resolves once it answers PING. `extraArgs` are more command-line options
 * (`--replicaof 127.0.0.1 6379`). Register `t.after(() => redis.stop())`.
 */
export async function startRedis (binary: string, port?: number, extraArgs: string[] = []): Promise<RedisServer> {
  const p = port ?? await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'gw-redis-'))
  const child: ChildProcess = spawn(binary, ['--bind', '127.0.0.1', '--port', String(p), '--save', '', '--appendonly', 'no', '--dir', dir, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  child.stdout?.on('data', (d) => { log = (log + String(d)).slice(-8000) })
  child.stderr?.on('data', (d) => { log = (log + String(d)).slice(-8000) })
  const command = (...args: string[]): Promise<string> => new Promise((resolve, reject) => {
    const socket = connect(p, '127.0.0.1', () => socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`))
    let reply = ''
    // A paused (SIGSTOPped) or wedged server never answers: give up instead of waiting forever.
    socket.setTimeout(COMMAND_TIMEOUT_MS, () => socket.destroy(new Error(`redis ${args[0] ?? ''}: no reply within ${COMMAND_TIMEOUT_MS} ms`)))
    socket.on('data', (d) => { reply += String(d); if (reply.endsWith('\r\n')) { socket.end(); resolve(reply) } })
    socket.on('error', reject)
  })
  const stop = serverStopper(child, dir)
  const deadline = Date.now() + START_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break
    if (await command('PING').then((r) => r === '+PONG\r\n', () => false)) {
      return {
        url: `redis://127.0.0.1:${p}`,
        port: p,
        pause: () => child.kill('SIGSTOP'),
        resume: () => child.kill('SIGCONT'),
        kill: () => child.kill('SIGKILL'),
        command,
        stop
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  await stop()
  throw new Error(`redis-server did not start on port ${p}:\n${log}`)
}
