// `npm run test:unit`: the whole suite under c8 (coverage gate), every test process writing to a fresh
// log-secret ledger ($GATEWAY_TEST_LEDGER, see test/helpers/secret-ledger.ts), then the log-secret check
// (scripts/check-log-secrets.ts). Fails if either fails; the ledger is kept for inspection on failure.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { LEDGER_ENV } from '../test/helpers/secret-ledger.ts'
import { main as checkLogSecrets } from './check-log-secrets.ts'

const COMMAND = "c8 --check-coverage --lines 90 --src src --include 'src/**' --reporter=text-summary --reporter=text " +
  'node --expose-gc --import tsx --test test/*/*.test.ts'

const repo = fileURLToPath(new URL('..', import.meta.url))
const ledger = mkdtempSync(join(tmpdir(), 'influx-gateway-ledger-'))
const env = { ...process.env, PATH: [join(repo, 'node_modules', '.bin'), process.env.PATH].join(delimiter), [LEDGER_ENV]: ledger }
const tests = spawnSync(COMMAND, { cwd: repo, shell: true, stdio: 'inherit', env })
const testsFailed = tests.status !== 0
if (testsFailed) console.error(`tests failed (${tests.status ?? tests.signal ?? tests.error?.message})`)
const check = checkLogSecrets(ledger)
if (testsFailed || check !== 0) {
  console.error(`log-secret ledger kept in ${ledger}`)
  process.exitCode = 1
} else {
  rmSync(ledger, { recursive: true, force: true })
}
