// `npm run test:unit`: the whole suite under c8 (coverage gate), every test process writing to a fresh
// log-secret ledger ($GATEWAY_TEST_LEDGER, see test/helpers/secret-ledger.ts), then the log-secret check
// (scripts/check-log-secrets.ts). Fails if either fails; the ledger is kept for inspection on failure.
// Test files are every `*.test.ts` under test/, at any depth, passed to `node --test` by name (a glob
// would be expanded by a shell, one level deep); none found is an error, not a green run of nothing.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { LEDGER_ENV } from '../test/helpers/secret-ledger.ts'
import { main as checkLogSecrets } from './check-log-secrets.ts'

/** A test that runs longer than this fails (a hang fails instead of hanging the run). */
const TEST_TIMEOUT_MS = 120_000
const C8 = ['--check-coverage', '--lines', '90', '--src', 'src', '--include', 'src/**', '--reporter=text-summary', '--reporter=text']

const repo = fileURLToPath(new URL('..', import.meta.url))
const files = readdirSync(join(repo, 'test'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.test.ts') && !f.split(/[\\/]/).includes('node_modules'))
  .map((f) => join('test', f))
  .sort()
if (files.length === 0) {
  console.error('run-tests: no test/**/*.test.ts file found; refusing to report a green run of nothing')
  process.exit(1)
}
console.log(`run-tests: ${files.length} test files`)
const ledger = mkdtempSync(join(tmpdir(), 'influx-gateway-ledger-'))
const env = { ...process.env, PATH: [join(repo, 'node_modules', '.bin'), process.env.PATH].join(delimiter), [LEDGER_ENV]: ledger }
const args = [...C8, process.execPath, '--expose-gc', '--import', 'tsx', '--test', `--test-timeout=${TEST_TIMEOUT_MS}`, ...files]
const tests = spawnSync(join(repo, 'node_modules', '.bin', 'c8'), args, { cwd: repo, stdio: 'inherit', env })
const testsFailed = tests.status !== 0
if (testsFailed) console.error(`tests failed (${tests.status ?? tests.signal ?? tests.error?.message})`)
const check = checkLogSecrets(ledger)
if (testsFailed || check !== 0) {
  console.error(`log-secret ledger kept in ${ledger}`)
  process.exitCode = 1
} else {
  rmSync(ledger, { recursive: true, force: true })
}
