/**
 * `npm run demo` (scripts/demo.ts) as a newcomer runs it: it prints who can sign in, a printed user signs
 * in through the gateway and a request is forwarded to the InfluxDB double, the auth proxy's address is
 * believed, and SIGINT to the demo stops every process it started.
 */
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { READY_LINE } from '../../scripts/demo/demo-banner.ts'
import { REPO, withTimeout } from '../helpers/cli-process.ts'
import { fetchFrom, PROXY_ADDRESS } from '../helpers/peer.ts'
import { recordSecret } from '../helpers/secret-ledger.ts'

/** Every process below `root`, from `ps`: pid and command line. */
function descendants (root: number): Array<{ pid: number, args: string }> {
  const rows = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' }).split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l)).filter((m) => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3] ?? '' }))
  const found: Array<{ pid: number, args: string }> = []
  for (let parents = [root]; parents.length > 0;) {
    const children = rows.filter((r) => parents.includes(r.ppid))
    found.push(...children)
    parents = children.map((c) => c.pid)
  }
  return found
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** The sign-in the banner prints for `user`: its password and the gateway's URL. */
function printedSignIn (lines: string[], user: string): { password: string, url: string } {
  for (const line of lines) {
    const match = new RegExp(`-u '${user}:([^']+)' (http://127\\.0\\.0\\.1:\\d+)/api/v2/signin`).exec(line)
    if (match !== null) return { password: match[1] as string, url: match[2] as string }
  }
  return assert.fail(`no sign-in printed for ${user}:\n${lines.join('\n')}`)
}

test('npm run demo: a printed user signs in, a request is forwarded, and SIGINT stops every process', async (t) => {
  const npm = spawn('npm', ['run', '--silent', 'demo'], { cwd: REPO, env: { ...process.env, GATEWAY_PORT: '0' }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<number | string>((resolve) => npm.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown')))
  t.after(() => { if (npm.exitCode === null && npm.signalCode === null && npm.pid !== undefined) process.kill(-npm.pid, 'SIGKILL') })
  const lines: string[] = []
  let stderr = ''
  npm.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d })
  await withTimeout(new Promise<void>((resolve, reject) => {
    createInterface({ input: npm.stdout }).on('line', (line) => { lines.push(line); if (line === READY_LINE) resolve() })
    exited.then((code) => reject(new Error(`the demo exited (${code}):\n${lines.join('\n')}\n${stderr}`)), reject)
  }), 'ready line')

  const frank = printedSignIn(lines, 'frank')
  recordSecret(frank.password, 'password')
  const signin = await fetch(`${frank.url}/api/v2/signin`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`frank:${frank.password}`).toString('base64')}` } })
  assert.equal(signin.status, 204)
  const cookie = (signin.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
  assert.match(cookie, /^influxdb-oss-session=/)
  recordSecret(cookie.split('=')[1], 'session-cookie')
  const buckets = await fetch(`${frank.url}/api/v2/buckets`, { headers: { cookie } })
  assert.equal(buckets.status, 200, 'forwarded with frank\'s token, which the double accepts')
  assert.equal(((await buckets.json()) as { buckets: Array<{ name: string }> }).buckets[0]?.name, 'test-bucket')
  const proxied = await fetchFrom(t, PROXY_ADDRESS)(`${frank.url}/api/v2/buckets`, { headers: { 'remote-user': 'pat', 'remote-groups': 'influx-readers' } })
  assert.equal(proxied.status, 200, 'the printed auth proxy address is trusted')
  if (lines.some((l) => l.includes('-u \'alice:'))) {
    const alice = printedSignIn(lines, 'alice')
    const directory = await fetch(`${alice.url}/api/v2/signin`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`alice:${alice.password}`).toString('base64')}` } })
    assert.equal(directory.status, 204, 'a printed directory user signs in')
  }

  const children = descendants(npm.pid as number)
  const demo = children.find((c) => /^(\S*\/)?node --import tsx scripts\/demo\.ts$/.test(c.args)) ?? assert.fail(`no demo process among ${JSON.stringify(children)}`)
  assert.ok(children.some((c) => c.args.includes('src/cli.ts')), 'the gateway runs as a child process')
  process.kill(demo.pid, 'SIGINT') // the demo alone: it must stop what it started
  assert.equal(await withTimeout(exited, 'demo exit'), 0, stderr)
  assert.ok(lines.some((l) => l.includes('stopped')), 'the gateway logged its clean stop')
  // Processes that have exited but whose exit the parent has not seen yet (tsx's esbuild helpers) go within moments.
  for (let tries = 0; children.some((c) => alive(c.pid)) && tries < 100; tries++) await sleep(50)
  assert.deepEqual(children.filter((c) => alive(c.pid)), [], 'every process the demo started has exited')
})

test('the demo\'s test helpers stay out of the gateway: nothing under src/ imports test/ or scripts/', () => {
  const files = readdirSync(join(REPO, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))
  assert.ok(files.length > 50)
  for (const file of files) {
    const imports = [...readFileSync(join(REPO, 'src', file), 'utf8').matchAll(/^import .* from '([^']+)'/gm)].map((m) => m[1] ?? '')
    assert.deepEqual(imports.filter((i) => /(^|\/)(test|scripts)\//.test(i)), [], `src/${file}`)
  }
})
