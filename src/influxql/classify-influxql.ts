/**
 * The InfluxQL classifier: which statements a query holds, which databases each reaches on InfluxDB 3, and
 * whether InfluxDB 3 runs it at all. Pure: no I/O, no state. The gateway allows an InfluxQL request only if
 * every statement runs on InfluxDB 3 and every database it reaches is readable; what it cannot classify it
 * refuses.
 * @packageDocumentation
 */
import { TokenCursor } from './influxql-cursor.ts'
import { InfluxQLSyntaxError, lexInfluxQL } from './influxql-lexer.ts'
import { parseStatement, type ParsedStatement } from './influxql-statement.ts'
import type { NamedSource } from './influxql-sources.ts'

/** One statement of an InfluxQL query, as InfluxDB 3 would run it. */
export interface InfluxQLStatement {
  /**
   * The statement's kind, lower-case words: `select`, `select into`, `explain`, `show databases`,
   * `show measurements`, `show tag keys`, `show tag values`, `show field keys`, `show series`,
   * `show retention policies`, `create database`, `drop measurement`, `delete`, and InfluxDB 1.x's
   * administration statements (`grant`, `create user`, `show users`, `kill query`, …).
   */
  kind: string
  /**
   * Every database the statement may reach, as InfluxDB 3 resolves it: a database named in the statement wins
   * over the request's `db`; a retention policy other than `autogen`/`default` (in the statement, or the
   * request's `rp`) makes the database `<db>/<rp>`. Where InfluxDB 3 ignores a retention policy that names no
   * database with it (`FROM "weekly"."cpu"`, or `rp=weekly` with an unqualified source, read in the request's
   * `db`), both `db` and `db/weekly` are listed, so that a rule must allow both. Empty for statements that reach
   * none (SHOW DATABASES) and for the administration statements InfluxDB 3 does not run.
   */
  databases: string[]
  /** Whether InfluxDB 3 runs this kind at all (its InfluxQL runs reads only: no INTO, CREATE, DELETE, DROP, …). */
  runsOnV3: boolean
}

/** A query classified, or the reason it cannot be (the gateway then refuses it). */
export type InfluxQLClassification =
  | { ok: true, statements: InfluxQLStatement[] }
  | { ok: false, reason: string }

/** The request's own database and retention policy (`db`, `rp`); an empty value counts as none. */
export interface InfluxQLDefaults {
  db?: string
  rp?: string
}

/** The retention policies InfluxDB 3 maps to the database itself. */
const PLAIN_RPS = new Set(['autogen', 'default'])

/** `db` or `db/rp`, as InfluxDB 3's `resolve_dbrp` names it (the comparison is case-sensitive there too). */
function withRp (db: string, rp: string | undefined): string {
  return rp === undefined || PLAIN_RPS.has(rp) ? db : `${db}/${rp}`
}

/** The databases one named source reaches. */
function reach (source: NamedSource, defaults: InfluxQLDefaults, statement: ParsedStatement): string[] {
  const rp = source.rp ?? defaults.rp
  if (source.db !== undefined) return [withRp(source.db, rp)]
  if (defaults.db !== undefined) {
    // SECURITY: InfluxDB 3 reads an unqualified source in the request's db whatever the retention policy, where
    // its documentation (and InfluxDB 1.x) reads the policy's data: both are listed, so that a rule allowing only
    // one of them cannot be used to read the other.
    return rp === undefined || PLAIN_RPS.has(rp) ? [defaults.db] : [defaults.db, withRp(defaults.db, rp)]
  }
  if (statement.needsDatabase) throw new InfluxQLSyntaxError(`${statement.kind.toUpperCase()} names no database and the request gives none`)
  return []
}

/** A parsed statement with its databases resolved. */
function resolve (statement: ParsedStatement, defaults: InfluxQLDefaults): InfluxQLStatement {
  const databases = new Set<string>()
  for (const source of statement.sources) {
    for (const db of reach(source, defaults, statement)) databases.add(db)
  }
  return { kind: statement.kind, databases: [...databases], runsOnV3: statement.runsOnV3 }
}

/** Every statement of the query, resolved; `;` separates them, and empty statements are skipped as InfluxDB 3 does. */
function classifyAll (query: string, defaults: InfluxQLDefaults): InfluxQLStatement[] {
  const cur = new TokenCursor(lexInfluxQL(query))
  const statements: InfluxQLStatement[] = []
  for (;;) {
    while (cur.takePunct(';'));
    if (cur.peek().type === 'end') return statements
    const statement = parseStatement(cur)
    if (!cur.atStatementEnd()) throw new InfluxQLSyntaxError(`unexpected ${cur.peek().text} after ${statement.kind.toUpperCase()}`)
    statements.push(resolve(statement, defaults))
  }
}

/**
 * Classifies an InfluxQL query the way InfluxDB 3 would read it.
 *
 * Not classifiable (`ok: false`): anything InfluxDB 3 could not parse or that the gateway could read in more
 * than one way, a statement shape the gateway does not know, `ON *`, a regular expression where a database or
 * retention policy stands, a statement that needs a database when it names none and the request gives none, a
 * query with no statement. Never throws on any input.
 *
 * @param query - the `q` of the request
 * @param defaults - the request's `db` and `rp` (absent or empty: none)
 */
export function classifyInfluxQL (query: string, defaults: InfluxQLDefaults): InfluxQLClassification {
  const given: InfluxQLDefaults = {}
  if (defaults.db !== undefined && defaults.db !== '') given.db = defaults.db
  if (defaults.rp !== undefined && defaults.rp !== '') given.rp = defaults.rp
  try {
    const statements = classifyAll(query, given)
    if (statements.length === 0) return { ok: false, reason: 'the query holds no statement' }
    return { ok: true, statements }
  } catch (error) {
    if (error instanceof InfluxQLSyntaxError) return { ok: false, reason: error.message }
    throw error
  }
}
