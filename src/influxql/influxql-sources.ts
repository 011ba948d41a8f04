/**
 * The parts of a statement that name where it reads: qualified measurement names (`db.rp.m`, `db..m`,
 * `rp.m`, `m`, `/regex/` in the measurement part only), `ON` clauses, and the clauses in between, which are
 * skipped token by token (they name no database in InfluxQL) but never past a word that would start a
 * source or a statement.
 * @packageDocumentation
 */
import type { TokenCursor } from './influxql-cursor.ts'
import { InfluxQLSyntaxError } from './influxql-lexer.ts'

/** A database and a retention policy a statement names; either may be absent. */
export interface NamedSource {
  db?: string
  rp?: string
}

/**
 * Words that never stand inside a skipped clause of a statement InfluxDB 3 runs: those that name a source, and
 * those that start a statement.
 */
// SECURITY: InfluxDB 3 needs no `;` between statements (`lib.rs` `parse_statements`): a clause the gateway skips
// must never hold what InfluxDB would read as the start of another statement (`SELECT … WHERE a = 1 SHOW
// DATABASES`), so every word that can start one is refused there.
const GUARDED_WORDS = new Set(['SELECT', 'FROM', 'INTO', 'ON', 'SHOW', 'EXPLAIN', 'CREATE', 'DROP', 'DELETE', 'ALTER',
  'GRANT', 'REVOKE', 'KILL', 'SET'])

/** An identifier naming a database or retention policy: never empty. */
function namePart (cur: TokenCursor, what: string): string {
  const name = cur.identifier(what)
  if (name === '') throw new InfluxQLSyntaxError(`an empty ${what}`)
  return name
}

/** Whether a `.` comes next, written right after the previous token (InfluxDB 3 allows no space before it). */
function takeDot (cur: TokenCursor): boolean {
  if (!cur.isPunct('.') || cur.peek().spaced) return false
  cur.next()
  return true
}

/** A measurement name: an identifier or a regex; with `backReference`, also INTO's `:MEASUREMENT`. */
function measurement (cur: TokenCursor, backReference: boolean): void {
  if (cur.peek().type === 'regex') { cur.next(); return }
  if (backReference && cur.takePunct(':')) {
    if (!cur.takeWords('MEASUREMENT')) throw new InfluxQLSyntaxError('expected :MEASUREMENT')
    return
  }
  cur.identifier('a measurement')
}

/** After `first.`: `rp.m`, `.m` (`first..m`) or `m` (then `first` was the retention policy). */
function afterFirstDot (cur: TokenCursor, first: string, backReference: boolean): NamedSource {
  if (takeDot(cur)) {
    measurement(cur, backReference)
    return { db: first }
  }
  if (cur.peek().type === 'regex' || cur.isPunct(':')) {
    measurement(cur, backReference)
    return { rp: first }
  }
  const second = namePart(cur, 'retention policy')
  if (!takeDot(cur)) return { rp: first }
  measurement(cur, backReference)
  return { db: first, rp: second }
}

/**
 * A qualified measurement name, as InfluxDB 3 reads one (`common.rs` `qualified_measurement_name`).
 *
 * @throws InfluxQLSyntaxError on a regex or a fourth part where a database or retention policy would stand
 */
export function qualifiedName (cur: TokenCursor, backReference = false): NamedSource {
  let named: NamedSource = {}
  if (cur.peek().type === 'regex' || (backReference && cur.isPunct(':'))) measurement(cur, backReference)
  else {
    const first = cur.identifier('a measurement')
    if (takeDot(cur)) {
      if (first === '') throw new InfluxQLSyntaxError('an empty database or retention policy')
      named = afterFirstDot(cur, first, backReference)
    }
  }
  if (cur.isPunct('.')) throw new InfluxQLSyntaxError('a source name the gateway cannot resolve (a regular expression or a fourth part)')
  return named
}

/** `ON db` of SHOW statements, or `ON db.rp` where `withRp` (SHOW MEASUREMENTS). `undefined` without ON. */
export function onClause (cur: TokenCursor, withRp: boolean): NamedSource | undefined {
  if (!cur.takeWords('ON')) return undefined
  if (cur.isPunct('*')) throw new InfluxQLSyntaxError('ON * reaches every database')
  const db = namePart(cur, 'database')
  if (withRp && takeDot(cur)) return { db, rp: namePart(cur, 'retention policy') }
  if (cur.isPunct('.')) throw new InfluxQLSyntaxError('a database the gateway cannot resolve after ON')
  return { db }
}

/** What ends a skipped clause besides the statement's end. */
export interface SkipOptions {
  /** Keywords that end it when they come at parenthesis depth 0. */
  stopWords?: readonly string[]
  /** Whether a `)` at depth 0 ends it (a subquery's); otherwise it is an error. */
  inSubquery?: boolean
  /** Whether SELECT, FROM, INTO and ON are refused inside (true unless the statement is refused anyway). */
  guard?: boolean
}

/**
 * Skips expressions and clauses that name no database, up to the statement's end or a stop.
 *
 * @throws InfluxQLSyntaxError on unbalanced parentheses, or (with `guard`) a word that would name a source
 */
export function skipClauses (cur: TokenCursor, options: SkipOptions = {}): void {
  const { stopWords = [], inSubquery = false, guard = true } = options
  let depth = 0
  for (;;) {
    const token = cur.peek()
    if (token.type === 'end' || (token.type === 'punct' && token.text === ';')) break
    const word = token.type === 'word' ? token.text.toUpperCase() : undefined
    if (depth === 0 && word !== undefined && token.bounded && stopWords.includes(word)) return
    if (guard && word !== undefined && GUARDED_WORDS.has(word)) throw new InfluxQLSyntaxError(`${word} where the gateway expects none`)
    if (cur.isPunct('(')) depth++
    else if (cur.isPunct(')')) {
      if (depth === 0 && inSubquery) return
      if (depth === 0) throw new InfluxQLSyntaxError('a ) that closes nothing')
      depth--
    }
    cur.next()
  }
  if (depth > 0 || inSubquery) throw new InfluxQLSyntaxError('a ( that does not close')
}
