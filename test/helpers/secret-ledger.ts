/**
 * The suite-wide log-secret ledger: every test process appends the log lines it saw
 * and the secrets it used to files in the directory `$GATEWAY_TEST_LEDGER`; after the suite,
 * `scripts/check-log-secrets.ts` fails the run if any secret appears in any line. `node --test` runs one
 * process per test file, hence files rather than memory. Without the variable every function here does
 * nothing, so a single test file runs as before.
 *
 * Files, named after the test file and the process: `<stem>.secrets.jsonl` (one `{"kind","value"}` per
 * line) and `<stem>.<source>.log` (one log line per line). Writes are synchronous appends, so a line is
 * on disk before the test that caused it can end.
 *
 * @example
 * ```ts
 * recordSecret(user.password, 'password')
 * const sink = ledgerDestination(mySink) // a pino destination that also records every line
 * ```
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto'
import { appendFileSync } from 'node:fs'
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import { basename, join } from 'node:path'

/** The environment variable naming the ledger directory. */
export const LEDGER_ENV = 'GATEWAY_TEST_LEDGER'
/** Shorter values are not recorded: they would match log lines by chance. */
export const MIN_SECRET_LENGTH = 8
/** Suffix of the secret files. */
export const SECRETS_SUFFIX = '.secrets.jsonl'
/** Suffix of the log-line files. */
export const LOG_SUFFIX = '.log'

/** What a secret is, named by the check when it leaks. */
export type SecretKind =
  | 'password' | 'token' | 'operator-token' | 'minted-token' | 'basic-password' | 'basic-credentials' | 'jwt-secret'
  | 'session-cookie' | 'cookie' | 'authorization' | 'query-password' | `env:${string}`
  | 'client-secret' | 'oauth-code' | 'record-key' | 'logout-token'

/** One ledger entry of a `.secrets.jsonl` file. */
export interface LedgerSecret {
  kind: SecretKind
  value: string
}

const dir = process.env[LEDGER_ENV] === '' ? undefined : process.env[LEDGER_ENV]
const stem = `${basename(process.argv[1] ?? 'process')}-${process.pid}-${randomBytes(3).toString('hex')}`
const recorded = new Set<string>()

/** Whether this process writes a ledger (`$GATEWAY_TEST_LEDGER` is set). */
export function ledgerEnabled (): boolean {
  return dir !== undefined
}

/** Records a secret the tests use; values shorter than {@link MIN_SECRET_LENGTH} or blank are skipped. */
export function recordSecret (value: string | undefined, kind: SecretKind): void {
  if (dir === undefined || value === undefined || value.length < MIN_SECRET_LENGTH || value.trim() === '') return
  const key = `${kind}\0${value}`
  if (recorded.has(key)) return
  recorded.add(key)
  appendFileSync(join(dir, `${stem}${SECRETS_SUFFIX}`), `${JSON.stringify({ kind, value } satisfies LedgerSecret)}\n`)
}

/** Records log lines (a chunk with several lines is split) written by `source`, e.g. `gateway` or `cli`. */
export function recordLogLines (lines: Iterable<string>, source = 'gateway'): void {
  if (dir === undefined) return
  const text = [...lines].flatMap((l) => l.split('\n')).filter((l) => l.trim() !== '').join('\n')
  if (text !== '') appendFileSync(join(dir, `${stem}.${source}${LOG_SUFFIX}`), `${text}\n`)
}

/** A pino destination that records every line, then hands it to `destination` (if any). */
export function ledgerDestination<T extends { write: (msg: string) => unknown }> (destination?: T, source = 'gateway'): { write: (msg: string) => void } {
  return {
    write (msg: string) {
      recordLogLines([msg], source)
      destination?.write(msg)
    }
  }
}

/**
 * The values of `Set-Cookie` headers (`name=value; …`), skipping cleared (empty) cookies; a cookie whose
 * name mentions `session` is a `session-cookie`.
 */
export function recordSetCookies (setCookie: number | string | string[] | undefined): void {
  if (dir === undefined || setCookie === undefined || typeof setCookie === 'number') return
  for (const cookie of Array.isArray(setCookie) ? setCookie : [setCookie]) {
    const pair = cookie.split(';')[0] ?? ''
    recordSecret(cookieValue(pair), pair.slice(0, pair.indexOf('=')).includes('session') ? 'session-cookie' : 'cookie')
  }
}

/** The value of a `name=value` pair (a `Cookie` header part or the head of a `Set-Cookie`). */
function cookieValue (pair: string): string {
  const eq = pair.indexOf('=')
  return eq < 0 ? '' : pair.slice(eq + 1).trim()
}

/**
 * A credential some test presented (right, wrong or hostile). Plain words are skipped: tests present
 * wrong passwords such as `wrong password`, which is also the audit log's `reason`, and would be
 * reported as leaks. Configured credentials (`recordSecret` from the test users) are never skipped.
 */
function recordPresented (value: string | undefined, kind: SecretKind): void {
  if (value !== undefined && !/^[A-Za-z ]*$/.test(value)) recordSecret(value, kind)
}

/** Records the credentials a request presents: cookie values, the `Authorization` credential, `p=`. */
export function recordRequestCredentials (headers: IncomingHttpHeaders, url = ''): void {
  if (dir === undefined) return
  for (const pair of (headers.cookie ?? '').split(';')) recordPresented(cookieValue(pair), 'cookie')
  const [scheme = '', credential] = (headers.authorization ?? '').trim().split(/\s+/, 2)
  if (credential !== undefined) {
    recordPresented(credential, 'authorization')
    if (scheme.toLowerCase() === 'basic') {
      const decoded = Buffer.from(credential, 'base64').toString('utf8')
      if (decoded.includes(':')) recordPresented(decoded.slice(decoded.indexOf(':') + 1), 'basic-password')
    }
  }
  const query = url.indexOf('?')
  if (query >= 0) recordPresented(new URLSearchParams(url.slice(query + 1)).get('p') ?? undefined, 'query-password')
}

/**
 * Watches an in-process HTTP(S) server: the credentials of every request it receives and every
 * `Set-Cookie` value it sends.
 */
export function watchServer (server: { on: (event: 'request', listener: (req: IncomingMessage, res: ServerResponse) => void) => unknown }): void {
  if (dir === undefined) return
  server.on('request', (req, res) => {
    recordRequestCredentials(req.headers, req.url)
    res.once('close', () => recordSetCookies(res.getHeader('set-cookie')))
  })
}
