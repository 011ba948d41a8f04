import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join, posix } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import YAML from 'yaml'
import { parseConfig } from '../../src/config/load.ts'
import { requireBinary } from '../helpers/binaries.ts'

/**
 * No Docker engine runs in the test environment, so this checks what can be checked without one:
 * the Dockerfile, docker-compose.yml, .env.example and the config they mount agree with each other.
 */

const REPO = fileURLToPath(new URL('../..', import.meta.url))
const read = (file: string): string => readFileSync(join(REPO, file), 'utf8')
const HASH = '$scrypt$ln=10,r=8,p=1$uDyn97wvXrkoAQ4nUKGD+w$/WbpnP3LMQN+keOkp4jNKfy1+E3EP8sw7DDHYmD1JgM'
/** `${VAR}`, `${VAR:-default}`, `${VAR:?error}` as Compose interpolates them. */
/** The page with the docker-compose walkthrough. */
const DEPLOYMENT_DOC = 'docs/deployment.md'
/** Every docs page, whose examples must not suggest the operator token as a user's token either. */
const DOCS = readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)
const COMPOSE_VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-?]([^}]*))?\}/g

interface Service {
  image?: string
  build?: string
  ports?: string[]
  volumes?: string[]
  environment?: Record<string, string>
  depends_on?: Record<string, { condition: string }>
  healthcheck?: { test: string[] }
  profiles?: string[]
  stop_grace_period?: string
}

const compose = YAML.parse(read('docker-compose.yml')) as { services: Record<string, Service>, volumes?: object }
const service = (name: string): Service => compose.services[name] ?? assert.fail(`no service ${name}`)
const envExample = parseEnvFile(read('.env.example'))

/** Dockerfile instructions, continuation lines joined, comments dropped. */
const dockerfile = read('Dockerfile').replace(/\\\n/g, ' ').split('\n')
  .map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'))
  .map((line) => {
    const [, op = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? []
    return { op: op.toUpperCase(), args }
  })
const instructions = (op: string): string[] => dockerfile.filter((i) => i.op === op).map((i) => i.args)
const lastInstruction = (op: string): string => instructions(op).at(-1) ?? assert.fail(`no ${op} in the Dockerfile`)
const exposedPort = Number(lastInstruction('EXPOSE'))
const dockerfileEnv = Object.fromEntries(instructions('ENV').flatMap((args) =>
  args.split(/\s+/).map((pair) => pair.split('=', 2) as [string, string])))
const cmd = JSON.parse(lastInstruction('CMD')) as string[]
const configPath = cmd[cmd.indexOf('--config') + 1] ?? assert.fail('CMD has no --config FILE')

function parseEnvFile (text: string): Record<string, string> {
  const lines = text.split('\n').filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'))
  return Object.fromEntries(lines.map((line) => {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line) ?? assert.fail(`.env.example: bad line ${line}`)
    return [match[1], match[2]]
  }))
}

/** Every string in the parsed compose file (comments are not in it). */
function strings (node: unknown): string[] {
  if (typeof node === 'string') return [node]
  if (node !== null && typeof node === 'object') return Object.values(node).flatMap(strings)
  return []
}

/** Compose interpolation of `value` from `env`. */
function interpolate (value: string, env: Record<string, string>): string {
  return value.replace(COMPOSE_VARIABLE, (_m, name: string) => env[name] ?? assert.fail(`${name} is not set`))
}

/** What the gateway process sees in its container: the image's ENV, then compose's `environment:`. */
function containerEnv (): Record<string, string> {
  const environment = Object.entries(service('gateway').environment ?? {})
  return { ...dockerfileEnv, ...Object.fromEntries(environment.map(([k, v]) => [k, interpolate(String(v), envExample)])) }
}

function seconds (duration: string): number {
  const match = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(duration) ?? assert.fail(`cannot read duration ${duration}`)
  return Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0)
}

test('compose runs InfluxDB 2 and the gateway, and Redis only under the ha profile', () => {
  assert.deepEqual(Object.keys(compose.services).sort(), ['gateway', 'influxdb', 'redis'])
  assert.equal(service('influxdb').image, 'influxdb:2.7')
  assert.equal(service('gateway').build, '.')
  assert.equal(service('influxdb').profiles, undefined)
  assert.equal(service('gateway').profiles, undefined)
  assert.deepEqual(service('redis').profiles, ['ha'])
  assert.equal(service('redis').ports, undefined)
})

test('InfluxDB is reachable only through the gateway, which starts once InfluxDB is healthy', () => {
  assert.equal(service('influxdb').ports, undefined)
  assert.deepEqual(service('influxdb').healthcheck?.test, ['CMD', 'influx', 'ping'])
  assert.ok(service('influxdb').volumes?.some((v) => v.endsWith(':/var/lib/influxdb2')), 'InfluxDB data on a volume')
  assert.deepEqual(service('gateway').depends_on, { influxdb: { condition: 'service_healthy' } })
  assert.equal(containerEnv().INFLUX_URL, 'http://influxdb:8086')
})

test('the gateway publishes 8086 on the port the image exposes, checks and listens on; metrics on loopback only', () => {
  assert.deepEqual(service('gateway').ports, [`8086:${exposedPort}`, '127.0.0.1:9464:9464'])
  for (const published of service('gateway').ports ?? []) {
    if (!published.startsWith('8086:')) assert.match(published, /^127\.0\.0\.1:/, `${published}: only the gateway's own port is public`)
  }
  assert.equal(exposedPort, 8080)
  const healthcheck = lastInstruction('HEALTHCHECK')
  assert.match(healthcheck, new RegExp(`CMD \\["node", "-e", ".*fetch\\('http://127\\.0\\.0\\.1:${exposedPort}/gateway/health'\\)`))
})

test('the Dockerfile is multi-stage, installs production deps only and ends as a non-root user', () => {
  assert.ok(instructions('FROM').length >= 2, 'multi-stage')
  assert.ok(instructions('RUN').some((run) => /\bnpm ci --omit=dev --ignore-scripts\b/.test(run)))
  const last = lastInstruction('USER')
  assert.doesNotMatch(last, /^(root|0)(:|$)/)
  const ops = dockerfile.map((i) => i.op)
  assert.ok(ops.lastIndexOf('USER') > ops.lastIndexOf('FROM'), 'USER is set in the final stage')
})

test('the image runs the compiled gateway: node itself, on the build stage\'s dist/, never the sources', () => {
  assert.ok(instructions('RUN').some((run) => /\bnpm run build\b/.test(run)), 'a stage compiles')
  const finalStage = dockerfile.slice(dockerfile.map((i) => i.op).lastIndexOf('FROM'))
  const copies = finalStage.filter((i) => i.op === 'COPY').map((i) => i.args)
  assert.ok(copies.some((args) => /^--from=\S+ \/app\/dist \.\/dist$/.test(args)), copies.join('\n'))
  assert.ok(!copies.some((args) => /\bsrc\b/.test(args)), 'no sources in the runtime image')
  // Exec form, node first: node is PID 1 and gets `docker kill -s HUP` and SIGTERM itself.
  assert.deepEqual(JSON.parse(lastInstruction('ENTRYPOINT')), ['node', '--enable-source-maps', 'dist/cli.js'])
})

test('.dockerignore lets through exactly what the Dockerfile copies from the build context', () => {
  const rules = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
  assert.equal(rules[0], '*', 'everything else is excluded')
  const copied = instructions('COPY').filter((args) => !args.startsWith('--from')).flatMap((args) => args.split(/\s+/).slice(0, -1))
  assert.deepEqual(rules.filter((r) => r.startsWith('!')).map((r) => r.slice(1)).sort(), [...new Set(copied)].sort())
})

test('compose mounts config/ read-only where the image reads its --config file', () => {
  const mount = service('gateway').volumes?.find((v) => v.startsWith('./config:')) ?? assert.fail('no ./config mount')
  assert.equal(mount, `./config:${posix.dirname(configPath)}:ro`)
  assert.equal(basename(configPath), 'gateway.yaml')
})

test('.env.example defines every variable the compose file uses, and nothing else', () => {
  const used = new Set(strings(compose).flatMap((s) => [...s.matchAll(COMPOSE_VARIABLE)].map((m) => m[1])))
  assert.deepEqual([...used].sort(), Object.keys(envExample).sort())
  for (const [name, value] of Object.entries(envExample)) assert.notEqual(value, '', `${name} has a placeholder`)
})

test('the mounted config loads with exactly the environment the gateway container gets', () => {
  const env = containerEnv()
  const configFile = join(REPO, 'config', basename(configPath))
  const config = parseConfig(readFileSync(configFile, 'utf8'), { env, readFile: (p) => readFileSync(p, 'utf8') }, configFile)
  assert.equal(config.server.host, '0.0.0.0')
  assert.equal(config.server.port, exposedPort)
  assert.equal(config.upstream.url, 'http://influxdb:8086')
  // Metrics on their own listener, reachable from the host's loopback through the published port only.
  assert.deepEqual(config.metrics, { enabled: true, listener: 'separate', host: '0.0.0.0', port: 9464 })
  // Docker's SIGKILL must come after the gateway's own shutdown timeout (25 s by default).
  const shutdownMs = (config.server as { shutdownTimeout?: number }).shutdownTimeout ?? 25_000
  const grace = service('gateway').stop_grace_period ?? assert.fail('no stop_grace_period')
  assert.ok(seconds(grace) * 1000 > shutdownMs, `stop_grace_period ${grace} outlasts ${shutdownMs} ms`)
  // The docker-compose walkthrough (docs/deployment.md) gives the gateway the operator token and adds alice
  // with `mint:` permissions, as it writes them.
  const walkthrough = read(DEPLOYMENT_DOC)
  const operatorToken = /^#\s+operatorToken: (\$\{\w+\})$/m.exec(walkthrough)?.[1] ?? assert.fail('no `operatorToken:` line in the compose walkthrough')
  const mint = /^#\s+mint: (\{.*\})$/m.exec(walkthrough)?.[1] ?? assert.fail('no `mint:` line in the compose walkthrough')
  const doc = YAML.parseDocument(readFileSync(configFile, 'utf8'))
  doc.setIn(['upstream', 'operatorToken'], operatorToken)
  doc.set('users', [{ name: 'alice', passwordHash: HASH, mint: YAML.parse(mint) as unknown }])
  const withUser = parseConfig(String(doc), { env, readFile: (p) => readFileSync(p, 'utf8') }, configFile)
  assert.equal(withUser.upstream.operatorToken, envExample.INFLUXDB_ADMIN_TOKEN)
  assert.deepEqual(withUser.users[0]?.mint, { org: envExample.INFLUXDB_ORG, permissions: ['read:buckets', `write:buckets/${envExample.INFLUXDB_BUCKET ?? ''}`] })
})

test('the operator token reaches the gateway only as upstream.operatorToken, never as a user\'s credential', () => {
  const adminToken = envExample.INFLUXDB_ADMIN_TOKEN ?? assert.fail('.env.example has no INFLUXDB_ADMIN_TOKEN')
  const env = containerEnv()
  assert.deepEqual(Object.keys(env).filter((k) => env[k] === adminToken), ['INFLUXDB_OPERATOR_TOKEN'])
  for (const file of ['.env.example', 'docker-compose.yml', 'config/gateway.yaml', 'README.md', ...DOCS]) {
    assert.doesNotMatch(read(file), /\btoken:\s*\$\{INFLUXDB_(ADMIN|OPERATOR)_TOKEN/, `${file} suggests the operator token as a user's token`)
  }
  for (const file of ['config/gateway.yaml', DEPLOYMENT_DOC]) {
    const uses = [...read(file).matchAll(/^[#\s]*(\w+):\s*\$\{INFLUXDB_OPERATOR_TOKEN\}/gm)].map((m) => m[1])
    assert.ok(uses.length > 0 && uses.every((key) => key === 'operatorToken'), `${file}: ${uses.join(', ')}`)
  }
  // Where a long-lived user token is offered instead, the docs show how to make a scoped one.
  for (const file of ['config/gateway.yaml', DEPLOYMENT_DOC, 'README.md']) {
    assert.match(read(file), /influx auth create --org my-org (\\\n\s*)?--read-bucket \w+ --write-bucket \w+ --description alice/, file)
  }
})

const dockerCompose = requireBinary('docker-compose', 'docker-compose', 'compose file validation')

test('docker-compose accepts the file with .env.example, and refuses to run without a variable', { skip: dockerCompose === undefined ? 'docker-compose not installed' : false }, () => {
  // Variables from the caller's shell would hide a gap in .env.example.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !(k in envExample) && !k.startsWith('COMPOSE_')))
  const run = (...args: string[]): ReturnType<typeof spawnSync> =>
    spawnSync(dockerCompose ?? '', [...args, '-f', 'docker-compose.yml', 'config', '-q'], { cwd: REPO, env, encoding: 'utf8' })
  for (const profile of [[], ['--profile', 'ha']]) {
    const result = run('--env-file', '.env.example', ...profile)
    assert.equal(result.status, 0, `docker-compose ${profile.join(' ')} config: ${String(result.stderr)}`)
  }
  const dir = mkdtempSync(join(tmpdir(), 'compose-env-'))
  try {
    const partial = join(dir, '.env')
    writeFileSync(partial, read('.env.example').replace(/^INFLUXDB_ADMIN_TOKEN=.*$/m, ''))
    const result = run('--env-file', partial)
    assert.notEqual(result.status, 0)
    assert.match(String(result.stderr), /set it in \.env/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
