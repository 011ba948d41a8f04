/**
 * scripts/check-log-secrets.ts backs every "no secret in the logs" claim of the suite: it must find a secret
 * planted in a ledger (as itself, JSON-escaped or URL-encoded), pass a clean one, and refuse an empty one.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { checkLedger, main } from '../../scripts/check-log-secrets.ts'
import { REPO } from './cli-process.ts'
import { LOG_SUFFIX, SECRETS_SUFFIX, type LedgerSecret } from './secret-ledger.ts'

const PASSWORD = 'Tr0ub4dor&3-"quoted" p@ss'
const TOKEN = 'tok_9f8e7d6c5b4a39281706'

/** A ledger directory holding `secrets` and, per file name, log lines; removed after the test. */
function ledger (t: TestContext, secrets: LedgerSecret[], logs: Record<string, string[]>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-test-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, `a-1${SECRETS_SUFFIX}`), secrets.map((s) => `${JSON.stringify(s)}\n`).join(''))
  for (const [name, lines] of Object.entries(logs)) writeFileSync(join(dir, `${name}${LOG_SUFFIX}`), `${lines.join('\n')}\n`)
  return dir
}

const SECRETS: LedgerSecret[] = [{ kind: 'password', value: PASSWORD }, { kind: 'token', value: TOKEN }, { kind: 'cookie', value: 'short' }]
const CLEAN = [
  JSON.stringify({ level: 30, msg: 'request', path: '/api/v2/buckets', status: 200, user: 'alice' }),
  JSON.stringify({ level: 30, msg: 'sign-in failed', reason: 'wrong password', user: 'alice' })
]

/** Runs main() with console output captured; returns the exit code and everything printed. */
function runMain (t: TestContext, dir: string): { code: number, output: string } {
  const printed: string[] = []
  t.mock.method(console, 'error', (...args: unknown[]) => { printed.push(args.join(' ')) })
  t.mock.method(console, 'log', (...args: unknown[]) => { printed.push(args.join(' ')) })
  try {
    return { code: main(dir), output: printed.join('\n') }
  } finally {
    t.mock.restoreAll()
  }
}

test('a clean ledger passes', (t) => {
  const dir = ledger(t, SECRETS, { 'a-1.gateway': CLEAN })
  assert.deepEqual(checkLedger(dir), { files: 1, lines: 2, secrets: 2, leaks: [] }, 'secrets under 8 characters are not looked for')
  const { code, output } = runMain(t, dir)
  assert.equal(code, 0)
  assert.match(output, /log-secret check: 2 lines, 2 secrets, 0 leaks/)
})

test('a planted secret is found in every form it can take in a log line, and is not printed', (t) => {
  const planted = {
    raw: `level=info msg="auth" header="Token ${TOKEN}"`,
    json: JSON.stringify({ level: 30, msg: 'sign-in', body: { password: PASSWORD } }),
    url: `{"msg":"request","url":"/query?p=${encodeURIComponent(PASSWORD)}"}`
  }
  for (const [form, line] of Object.entries(planted)) {
    const dir = ledger(t, SECRETS, { 'a-1.gateway': [...CLEAN, line] })
    const { leaks } = checkLedger(dir)
    assert.equal(leaks.length, 1, form)
    const [leak] = leaks
    assert.equal(leak?.kind, form === 'raw' ? 'token' : 'password', form)
    assert.equal(leak?.file, `a-1.gateway${LOG_SUFFIX}`)
    assert.equal(leak?.lineNumber, 3)
    assert.ok(!leak?.line.includes(form === 'raw' ? TOKEN : PASSWORD.slice(0, 12)), `${form}: the reported line is masked`)
    const { code, output } = runMain(t, dir)
    assert.equal(code, 1, form)
    assert.match(output, /1 leaks/)
    assert.ok(!output.includes(TOKEN) && !output.includes(PASSWORD) && !output.includes(encodeURIComponent(PASSWORD)), `${form}: the report does not repeat the secret`)
  }
})

test('a leak in another test process\'s log file is found too', (t) => {
  const dir = ledger(t, SECRETS, { 'a-1.gateway': CLEAN, 'b-2.cli': ['ok', `token=${TOKEN}`] })
  assert.deepEqual(checkLedger(dir).leaks.map((l) => [l.file, l.lineNumber, l.kind]), [[`b-2.cli${LOG_SUFFIX}`, 2, 'token']])
})

test('an empty ledger fails: a check that saw nothing proves nothing', (t) => {
  assert.equal(runMain(t, ledger(t, [], {})).code, 1)
  assert.equal(runMain(t, ledger(t, SECRETS, {})).code, 1, 'secrets but no log line')
  assert.equal(runMain(t, ledger(t, [], { 'a-1.gateway': CLEAN })).code, 1, 'log lines but no secret')
})

test('as a command, the exit code tells a leak from a clean run', (t) => {
  const run = (dir: string): number | null => spawnSync(process.execPath, ['--import', 'tsx', 'scripts/check-log-secrets.ts', dir], { cwd: REPO, encoding: 'utf8', timeout: 60_000 }).status
  assert.equal(run(ledger(t, SECRETS, { 'a-1.gateway': CLEAN })), 0)
  assert.equal(run(ledger(t, SECRETS, { 'a-1.gateway': [...CLEAN, `Authorization: Token ${TOKEN}`] })), 1)
})
