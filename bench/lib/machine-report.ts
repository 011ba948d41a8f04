import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { cpus, release, totalmem } from 'node:os'
import { join } from 'node:path'

const PACKAGES = ['undici', 'http-proxy-3', 'koa', 'pino', 'ioredis', 'ioredis-mock']

/** The first line a tool prints for its version (stdout or stderr), without its tail, or `not installed`. */
function toolVersion (cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' })
  if (r.error !== undefined) return 'not installed'
  const first = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0] ?? ''
  return first.replace(/ (Copyright|sha=).*$/, '') // wrk's and redis-server's tails
}

/** `name version` of each package found in `root`/node_modules (missing ones are left out). */
function packageVersions (root: string): string[] {
  return PACKAGES.flatMap((name) => {
    const file = join(root, 'node_modules', name, 'package.json')
    if (!existsSync(file)) return []
    return [`${name} ${(JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version}`]
  })
}

/** The report's heading lines: machine, Node, tools and packages, date, and the command that ran. */
export function machineReport (root: string, command: string): string[] {
  const cpu = cpus()
  return [
    `- Machine: ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${release()}`,
    `- Node ${process.version}; ${toolVersion('wrk', ['-v'])}; ${toolVersion('nginx', ['-v'])}; ${toolVersion('redis-server', ['--version'])}`,
    `- Packages: ${packageVersions(root).join(', ')}`,
    `- Date: ${new Date().toISOString()}`,
    `- Command: \`${command}\``
  ]
}
