import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { hashPassword } from './auth/password.ts'
import { checkMintingOnline } from './mint/online-check.ts'
import { ConfigError, loadConfig } from './config/load.ts'
import type { Config } from './config/schema.ts'
import { watchConfig } from './config/watch-config.ts'
import { startGateway } from './gateway.ts'
import { createLogger } from './observability/logger.ts'
import { readPassword } from './read-password.ts'
import { createReloader } from './reload.ts'

/**
 * The only file that touches argv, env, stdin, exit codes and signals.
 *   influx-gateway [--config FILE] [--watch]       run the gateway (SIGHUP or --watch reloads the file)
 *   influx-gateway hash-password [--force]         read a password from stdin, print its hash (--force: even if short)
 *   influx-gateway check-config [--config FILE] [--online]
 *                                                  print `ok` or every problem (--online: also ask InfluxDB whether
 *                                                  the operator token can mint the `mint` credentials' tokens)
 */
const DEFAULT_CONFIG = 'config/gateway.yaml'
const USAGE = `usage: npm start -- [--config FILE] [--watch]
       npm run --silent hash-password [-- --force] (password on stdin; --force hashes one under 8 characters)
       npm run --silent check-config -- [--config FILE] [--online]
       node --enable-source-maps dist/cli.js [hash-password | check-config] [OPTIONS] (without npm: a service manager, the image)`

async function main (argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      watch: { type: 'boolean' },
      force: { type: 'boolean' },
      online: { type: 'boolean' },
      version: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help === true) return print(USAGE)
  if (values.version === true) return print(version())
  const configFile = values.config ?? DEFAULT_CONFIG
  switch (positionals[0]) {
    case undefined: return await run(configFile, values.watch === true)
    case 'hash-password': {
      const password = await readPassword(process.stdin, process.stderr, { force: values.force === true })
      return print(await hashPassword(password))
    }
    case 'check-config': return await checkConfig(configFile, values.online === true)
    default: throw new UsageError(`unknown command ${positionals[0]}`)
  }
}

async function run (configFile: string, watch: boolean): Promise<number> {
  const load = (): Config => loadConfig(configFile, process.env)
  const config = load()
  const logger = createLogger(config.log)
  const gateway = await startGateway(config, logger)
  const reloader = createReloader({ deps: gateway.deps, logger, load })
  const reload = (trigger: string): void => {
    reloader.reload(trigger).catch((err: unknown) => logger.error({ err, trigger }, 'config reload failed'))
  }
  let stopping = false
  // While stopping, SIGHUP is still caught (and ignored): its default action would end the process and cut
  // the requests the graceful stop lets finish.
  const onHangup = (): void => { if (!stopping) reload('SIGHUP') }
  const watcher = watch ? watchConfig(configFile, () => reload('watch')) : undefined
  // Handlers go in before the 'listening' line: whoever waits for it may signal at once.
  const stopped = new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      if (stopping) return
      stopping = true
      logger.info({ signal, graceMs: gateway.deps.config.server.shutdownTimeout }, 'shutting down')
      watcher?.close()
      gateway.stop()
        .then(() => { logger.info('stopped'); logger.flush(); resolve(0) })
        .catch((err: unknown) => { logger.error({ err }, 'shutdown failed'); logger.flush(); resolve(1) })
    }
    // `on`, not `once`: a repeated stop signal is ignored, never the default action that would cut the requests
    // the graceful stop lets finish (`server.shutdownTimeout` bounds it). Ctrl-C on `npm start` signals npm and
    // the gateway, and npm passes its own on: the gateway gets every stop signal twice.
    process.on('SIGTERM', stop).on('SIGINT', stop).on('SIGHUP', onHangup)
  })
  const { url, metricsUrl: metrics, deps } = gateway
  // The pid is the process to signal (SIGHUP reloads, SIGTERM stops): not npm's or a shell's, which do not pass SIGHUP on.
  const { pid } = process
  logger.info({ pid, url, metrics, upstream: config.upstream.url, users: deps.runtime().users.size(), config: configFile }, 'listening')
  logger.info({ config: configFile }, 'to add a user: run hash-password (npm run --silent hash-password, ' +
    'or docker compose run --rm -T gateway hash-password), put the printed hash in a users: entry of the config ' +
    'with its InfluxDB credential, then send SIGHUP to the pid above (see README)')
  logger.flush() // whoever waits for these lines gets them now, not with the next batch
  return await stopped
}

/** `check-config`: the file, and with `online` what InfluxDB says of the `mint` credentials. */
async function checkConfig (configFile: string, online: boolean): Promise<number> {
  const config = loadConfig(configFile, process.env)
  const problems = online ? await checkMintingOnline(config) : []
  if (problems.length === 0) return print('ok')
  process.stderr.write(`${problems.join('\n')}\n`)
  return 1
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
