// The log-secret check: after the suite, no password, token, session id or cookie value that any
// test used may appear in any log line any test saw. Reads the ledger test/helpers/secret-ledger.ts wrote:
//   node --import tsx scripts/check-log-secrets.ts <ledger dir>     (default: $GATEWAY_TEST_LEDGER)
// Exit 0 with `log-secret check: N lines, M secrets, 0 leaks`; exit 1 on a leak (kind, a short prefix of the
// secret, the offending line with the secret masked) or when the ledger is empty (a check that saw nothing
// proves nothing). `npm run test:unit` (scripts/run-tests.ts) runs it after the tests.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { LEDGER_ENV, LOG_SUFFIX, MIN_SECRET_LENGTH, SECRETS_SUFFIX, type LedgerSecret } from '../test/helpers/secret-ledger.ts'

/** Each secret is looked for as itself and as it would look inside a JSON string or a URL. */
const FORMS: Array<(value: string) => string> = [
  (v) => v,
  (v) => JSON.stringify(v).slice(1, -1),
  (v) => encodeURIComponent(v)
]
/** When a value was recorded under several kinds, the report names the most specific one. */
const KIND_RANK = [
  'password', 'operator-token', 'minted-token', 'token', 'basic-password', 'basic-credentials', 'jwt-secret', 'client-secret', 'oauth-code', 'env:',
  'session-cookie', 'query-password', 'authorization', 'cookie'
]
const rank = (kind: string): number => {
  const i = KIND_RANK.findIndex((k) => kind.startsWith(k))
  return i < 0 ? KIND_RANK.length : i
}
/** Candidate matches are found by this many leading characters (every secret has at least as many). */
const KEY_LENGTH = MIN_SECRET_LENGTH

/** One leaked secret and where it first showed. */
export interface Leak {
  kind: string
  /** A short prefix, never the whole secret. */
  prefix: string
  length: number
  file: string
  lineNumber: number
  /** The offending line with every secret in it masked. */
  line: string
}

/** What the check saw. */
export interface LedgerReport {
  files: number
  lines: number
  secrets: number
  leaks: Leak[]
}

interface Pattern {
  form: string
  secret: LedgerSecret
}

/** Enough of a secret to recognise it in a report, too little to use it. */
export function secretPrefix (value: string): string {
  return value.slice(0, Math.min(4, Math.floor(value.length / 4)))
}

function readSecrets (dir: string, names: string[]): Map<string, LedgerSecret> {
  const secrets = new Map<string, LedgerSecret>()
  for (const name of names.filter((n) => n.endsWith(SECRETS_SUFFIX))) {
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (line === '') continue
      const secret = JSON.parse(line) as LedgerSecret
      if (secret.value.length < MIN_SECRET_LENGTH) continue
      const seen = secrets.get(secret.value)
      if (seen === undefined || rank(secret.kind) < rank(seen.kind)) secrets.set(secret.value, secret)
    }
  }
  return secrets
}

/** Index of patterns by their first KEY_LENGTH characters: one map lookup per line position. */
function indexPatterns (secrets: Iterable<LedgerSecret>): Map<string, Pattern[]> {
  const index = new Map<string, Pattern[]>()
  for (const secret of secrets) {
    for (const form of new Set(FORMS.map((f) => f(secret.value)))) {
      const key = form.slice(0, KEY_LENGTH)
      index.set(key, [...(index.get(key) ?? []), { form, secret }])
    }
  }
  return index
}

interface Match extends Pattern {
  at: number
}

function findIn (line: string, index: Map<string, Pattern[]>): Match[] {
  const found: Match[] = []
  for (let i = 0; i + KEY_LENGTH <= line.length; i++) {
    const candidates = index.get(line.slice(i, i + KEY_LENGTH))
    if (candidates !== undefined) for (const p of candidates) if (line.startsWith(p.form, i)) found.push({ ...p, at: i })
  }
  return found
}

/** `line` with every matched character replaced: each run of secrets becomes `<kind:prefix…>`. */
function mask (line: string, found: Match[]): string {
  let out = ''
  let pos = 0
  for (const m of [...found].sort((a, b) => a.at - b.at)) {
    const end = m.at + m.form.length
    if (end <= pos) continue
    out += m.at >= pos ? `${line.slice(pos, m.at)}<${m.secret.kind}:${secretPrefix(m.secret.value)}…>` : ''
    pos = end
  }
  return out + line.slice(pos)
}

/** Checks every log line in the ledger `dir` against every secret in it. */
export function checkLedger (dir: string): LedgerReport {
  const names = readdirSync(dir).sort()
  const secrets = readSecrets(dir, names)
  const index = indexPatterns(secrets.values())
  const logs = names.filter((n) => n.endsWith(LOG_SUFFIX))
  const leaks = new Map<string, Leak>()
  let lines = 0
  for (const file of logs) {
    const text = readFileSync(join(dir, file), 'utf8').split('\n')
    text.forEach((line, i) => {
      if (line === '') return
      lines++
      const found = findIn(line, index)
      if (found.length === 0) return
      const masked = mask(line, found)
      for (const { secret } of found) {
        if (leaks.has(secret.value)) continue
        leaks.set(secret.value, { kind: secret.kind, prefix: secretPrefix(secret.value), length: secret.value.length, file, lineNumber: i + 1, line: masked })
      }
    })
  }
  return { files: logs.length, lines, secrets: secrets.size, leaks: [...leaks.values()] }
}

/** Runs the check and prints the verdict; returns the exit code. */
export function main (dir: string | undefined): number {
  if (dir === undefined || dir === '') {
    console.error(`log-secret check: no ledger directory (argument or $${LEDGER_ENV})`)
    return 1
  }
  const report = checkLedger(dir)
  if (report.lines === 0 || report.secrets === 0) {
    console.error(`log-secret check: the ledger in ${dir} is empty (${report.lines} lines, ${report.secrets} secrets): a check that saw nothing proves nothing`)
    return 1
  }
  const summary = `log-secret check: ${report.lines} lines, ${report.secrets} secrets, ${report.leaks.length} leaks`
  if (report.leaks.length === 0) {
    console.log(summary)
    return 0
  }
  console.error(summary)
  for (const leak of report.leaks.slice(0, 20)) {
    console.error(`LEAK ${leak.kind} "${leak.prefix}…" (${leak.length} chars) first in ${leak.file}:${leak.lineNumber}:\n  ${leak.line.slice(0, 2000)}`)
  }
  if (report.leaks.length > 20) console.error(`… and ${report.leaks.length - 20} more`)
  return 1
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv[2] ?? process.env[LEDGER_ENV])
}
