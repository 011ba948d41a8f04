// `npm run demo`: a playground for newcomers. On 127.0.0.1: the InfluxDB 2 double, an OpenID Connect
// provider, the test directory (slapd, when installed) and the gateway configured to sign people in every
// way it knows; prints what to open and who can sign in, then the gateway's log. Ctrl-C (SIGINT) or SIGTERM
// stops every process it started and removes its temporary directory. GATEWAY_PORT picks the gateway's
// port (default 8080; 0: a free one). test/scripts/demo.test.ts runs it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../test/helpers/redis-server.ts'
import { createCleanup } from './demo/cleanup.ts'
import { demoBanner } from './demo/demo-banner.ts'
import { demoConfig } from './demo/demo-config.ts'
import { startDemoGateway } from './demo/demo-gateway.ts'
import { startDemoServices } from './demo/demo-services.ts'

const say = (text: string): void => { process.stdout.write(text.endsWith('\n') ? text : `${text}\n`) }
const cleanup = createCleanup((err) => say(`demo: while stopping: ${(err as Error).message ?? String(err)}`))
let stopping = false

async function stop (code: number): Promise<void> {
  if (!stopping) say('\nStopping the demo…')
  stopping = true
  await cleanup.run()
  process.exitCode = code
}

async function start (): Promise<void> {
  const port = await gatewayPort(process.env.GATEWAY_PORT)
  const dir = mkdtempSync(join(tmpdir(), 'influx-gateway-demo-'))
  cleanup.after(() => rmSync(dir, { recursive: true, force: true }))
  const services = await startDemoServices(cleanup, `http://127.0.0.1:${port}`, say)
  const config = await demoConfig(port, services)
  const configFile = join(dir, 'gateway.yaml')
  writeFileSync(configFile, config.yaml, { mode: 0o600 })
  const gateway = await startDemoGateway(cleanup, { configFile, env: config.env, write: (t) => process.stdout.write(t), colorize: process.stdout.isTTY })
  gateway.exited.then(async (code) => {
    if (stopping) return
    say(`demo: the gateway exited (${code}); stopping the rest.`)
    await stop(1)
  })
  if (stopping) return
  say(demoBanner(gateway, services, config.fileUser).join('\n'))
}

async function gatewayPort (value: string | undefined): Promise<number> {
  const port = Number(value ?? 8080)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`GATEWAY_PORT must be a port number, not ${value ?? ''}`)
  return port === 0 ? await freePort() : port
}

process.once('SIGINT', () => { stop(0).catch(() => {}) }).once('SIGTERM', () => { stop(0).catch(() => {}) })
start().then(async () => {
  if (stopping) await cleanup.run() // a signal during start-up: stop what started after it
}, async (err: unknown) => {
  say(`demo: ${(err as Error).message ?? String(err)}`)
  if (/EADDRINUSE|address already in use/.test(String((err as Error).message))) {
    say('demo: that port is taken; set GATEWAY_PORT to another one (0: a free one).')
  }
  await stop(1)
})
