import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { createApp } from './app.ts'
import { hashPassword } from './auth/password.ts'
import { ConfigError, loadConfig } from './config/load.ts'
import { createDeps } from './deps.ts'
import { createLogger } from './observability/logger.ts'
import { listen } from './server.ts'
import { readPassword } from './read-password.ts'

/**
 * The only file that touches argv, env, stdin, exit codes and signals.
 *   influx-gateway [--config FILE]                 run the gateway
 *   influx-gateway hash-password                   read a password from stdin, print its hash
 *   influx-gateway check-config [--config FILE]    print `ok` or every problem
 */
const DEFAULT_CONFIG = 'config/gateway.yaml'
const USAGE = `usage: npm start -- [--config FILE]
       npm run --silent hash-password            (password on stdin)
       npm run --silent check-config -- [--config FILE]`

async function main (argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { config: { type: 'string', short: 'c' }, version: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }
  })
  if (values.help === true) return print(USAGE)
  if (values.version === true) return print(version())
  const configFile = values.config ?? DEFAULT_CONFIG
  switch (positionals[0]) {
    case undefined: return await run(configFile)
    case 'hash-password': return print(await hashPassword(await readPassword(process.stdin, process.stderr)))
    case 'check-config': loadConfig(configFile, process.env); return print('ok')
    default: throw new UsageError(`unknown command ${positionals[0]}`)
  }
}

async function run (configFile: string): Promise<number> {
  const config = loadConfig(configFile, process.env)
  const logger = createLogger(config.log)
  const deps = createDeps(config, { logger })
  const { host, port, tls } = config.server
  const server = await listen(createApp(deps), {
    host,
    port,
    maxHeaderBytes: config.limits.maxHeaderBytes,
    tls: tls === undefined ? undefined : { cert: readFileSync(tls.cert), key: readFileSync(tls.key) }
  })
  logger.info({ url: server.url, upstream: config.upstream.url, users: deps.users.size(), config: configFile }, 'listening')
  logger.info({ config: configFile }, 'to add a user: `npm run --silent hash-password`, then put the printed hash in a users: entry of the config with its InfluxDB credential (see README)')
  return await new Promise((resolve) => {
    let stopping = false
    const stop = (signal: string): void => {
      if (stopping) return
      stopping = true
      logger.info({ signal }, 'shutting down')
      server.close()
        .then(() => deps.close())
        .then(() => { logger.info('stopped'); logger.flush(); resolve(0) })
        .catch((err: unknown) => { logger.error({ err }, 'shutdown failed'); logger.flush(); resolve(1) })
    }
    process.once('SIGTERM', stop).once('SIGINT', stop)
  })
}

class UsageError extends Error {}

function print (line: string): number {
  process.stdout.write(`${line}\n`)
  return 0
}

function version (): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code }, (err: unknown) => {
  if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`)
  else if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`)
  } else process.stderr.write(`influx-gateway: ${(err as Error).message ?? String(err)}\n`)
  process.exitCode = 1
})
