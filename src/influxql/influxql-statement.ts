/**
 * The statement shapes of InfluxDB 3's InfluxQL parser (`influxdb_influxql_parser` `statement.rs`): SELECT
 * (with subqueries), EXPLAIN, the SHOW statements, and CREATE DATABASE, DELETE and DROP MEASUREMENT, which it
 * parses but does not run; plus the statements of InfluxDB 1.x it does not know (INTO, users, grants, …), named
 * so that a refusal can say what was refused. Each is read into the sources it names; which databases those are
 * is decided by the caller, with the request's defaults.
 * @packageDocumentation
 */
import type { TokenCursor } from './influxql-cursor.ts'
import { REFUSED_KINDS } from './influxql-keywords.ts'
import { InfluxQLSyntaxError } from './influxql-lexer.ts'
import { onClause, qualifiedName, skipClauses, type NamedSource } from './influxql-sources.ts'

/** One statement as read, before its sources are resolved against the request's defaults. */
export interface ParsedStatement {
  /** Lower-case words, e.g. `select`, `show tag keys`. */
  kind: string
  /** Every source the statement names; `{}` stands for the request's database. */
  sources: NamedSource[]
  /** Whether InfluxDB 3 runs it. */
  runsOnV3: boolean
  /** Whether InfluxDB 3 needs a database to run it (a statement that needs one and names none is refused). */
  needsDatabase: boolean
}

/** How deep subqueries and EXPLAINs may nest before the gateway refuses (InfluxDB 3 parses recursively too). */
const MAX_DEPTH = 32
/** The statements EXPLAIN runs on: those InfluxDB 3 plans as queries. */
const EXPLAINABLE = new Set(['select', 'show measurements', 'show tag keys', 'show tag values', 'show field keys'])
/** The clauses that may follow a SELECT's sources. */
const SELECT_CLAUSES = ['WHERE', 'GROUP', 'FILL', 'ORDER', 'LIMIT', 'OFFSET', 'SLIMIT', 'SOFFSET', 'TZ']
/** The refused kinds as keyword lists, the longest first, so that `show tag values cardinality` wins over shorter ones. */
const REFUSED = REFUSED_KINDS.map((kind) => kind.toUpperCase().split(' ')).sort((a, b) => b.length - a.length)

/** A statement that runs on InfluxDB 3 and needs a database. */
function runs (kind: string, sources: NamedSource[]): ParsedStatement {
  return { kind, sources, runsOnV3: true, needsDatabase: true }
}

/** A statement InfluxDB 3 does not run; its sources, where read, are informative only. */
function refused (kind: string, sources: NamedSource[] = []): ParsedStatement {
  return { kind, sources, runsOnV3: false, needsDatabase: false }
}

/** `FROM` sources of SELECT: names and parenthesised subqueries, separated by commas. */
function selectSources (cur: TokenCursor, depth: number): NamedSource[] {
  const sources: NamedSource[] = []
  do {
    if (cur.takePunct('(')) {
      cur.expectWords('SELECT')
      sources.push(...selectBody(cur, depth + 1, true).sources)
      if (!cur.takePunct(')')) throw new InfluxQLSyntaxError('a subquery that does not close')
    } else sources.push(qualifiedName(cur))
  } while (cur.takePunct(','))
  return sources
}

/** After SELECT: fields, an optional INTO, FROM and the clauses that follow (up to `)` in a subquery). */
function selectBody (cur: TokenCursor, depth: number, inSubquery: boolean): ParsedStatement {
  if (depth > MAX_DEPTH) throw new InfluxQLSyntaxError('subqueries nested too deep')
  skipClauses(cur, { stopWords: ['FROM', 'INTO'], inSubquery })
  const into = cur.takeWords('INTO') ? qualifiedName(cur, true) : undefined
  cur.expectWords('FROM')
  const sources = selectSources(cur, depth)
  if (!cur.atStatementEnd() && !cur.isPunct(')') && !SELECT_CLAUSES.some((clause) => cur.isWord(clause))) {
    throw new InfluxQLSyntaxError(`unexpected ${cur.peek().text} after the sources of SELECT`)
  }
  skipClauses(cur, { inSubquery })
  if (into !== undefined) return refused('select into', [...sources, into])
  return runs('select', sources)
}

/** The sources a SHOW statement's `ON` and `FROM` name; `{}` (the request's database) without ON. */
function showSources (cur: TokenCursor, fromClause: boolean): NamedSource[] {
  const sources = [onClause(cur, false) ?? {}]
  if (fromClause && cur.takeWords('FROM')) {
    do {
      const named = qualifiedName(cur)
      // A database named in a SHOW statement's FROM is not how InfluxDB 3 picks the database (ON is), but it is
      // counted all the same: a list that says too much refuses, one that says too little lets through.
      if (named.db !== undefined || named.rp !== undefined) sources.push(named)
    } while (cur.takePunct(','))
  }
  skipClauses(cur)
  return sources
}

/** SHOW MEASUREMENTS: `ON db[.rp]`, then `WITH MEASUREMENT =|=~ name`, WHERE, LIMIT, OFFSET. */
function showMeasurements (cur: TokenCursor): ParsedStatement {
  const sources = [onClause(cur, true) ?? {}]
  if (cur.takeWords('WITH', 'MEASUREMENT')) {
    if (!cur.takePunct('=~') && !cur.takePunct('=')) throw new InfluxQLSyntaxError('expected = or =~ after WITH MEASUREMENT')
    const named = qualifiedName(cur)
    if (named.db !== undefined || named.rp !== undefined) sources.push(named)
  }
  skipClauses(cur)
  return runs('show measurements', sources)
}

/** The statements after SHOW. */
function showStatement (cur: TokenCursor): ParsedStatement {
  // SHOW DATABASES reaches no database: InfluxDB 3 lists them all, and the gateway filters the answer.
  if (cur.takeWords('DATABASES')) return { kind: 'show databases', sources: [], runsOnV3: true, needsDatabase: false }
  if (cur.takeWords('MEASUREMENTS')) return showMeasurements(cur)
  if (cur.takeWords('RETENTION', 'POLICIES')) return runs('show retention policies', [onClause(cur, false) ?? {}])
  if (cur.takeWords('TAG', 'KEYS')) return runs('show tag keys', showSources(cur, true))
  if (cur.takeWords('TAG', 'VALUES')) return runs('show tag values', showSources(cur, true))
  if (cur.takeWords('FIELD', 'KEYS')) return runs('show field keys', showSources(cur, true))
  if (cur.takeWords('SERIES')) return refused('show series', showSources(cur, true))
  throw new InfluxQLSyntaxError('a SHOW statement the gateway does not know')
}

/** EXPLAIN [ANALYZE] [VERBOSE] statement: what the statement reaches; it runs if the statement is a query. */
function explainStatement (cur: TokenCursor, depth: number): ParsedStatement {
  cur.takeWords('ANALYZE')
  cur.takeWords('VERBOSE')
  const inner = parseStatement(cur, depth + 1)
  const sources = inner.sources.length > 0 ? inner.sources : [{}]
  const runsOnV3 = inner.runsOnV3 && EXPLAINABLE.has(inner.kind)
  return { kind: 'explain', sources, runsOnV3, needsDatabase: runsOnV3 }
}

/** CREATE DATABASE, DELETE, DROP MEASUREMENT: parsed by InfluxDB 3, never run. */
function writeStatement (cur: TokenCursor): ParsedStatement | undefined {
  if (cur.takeWords('CREATE', 'DATABASE')) return refused('create database', [{ db: cur.identifier('a database') }])
  if (cur.takeWords('DROP', 'MEASUREMENT')) return refused('drop measurement', [{}])
  if (cur.takeWords('DELETE')) return refused('delete', cur.takeWords('FROM') ? [qualifiedName(cur)] : [{}])
  return undefined
}

/**
 * Reads one statement, up to (not including) its `;` or the query's end.
 *
 * @throws InfluxQLSyntaxError when the statement is not one the gateway can read
 */
export function parseStatement (cur: TokenCursor, depth = 0): ParsedStatement {
  if (depth > MAX_DEPTH) throw new InfluxQLSyntaxError('statements nested too deep')
  if (cur.takeWords('SELECT')) return selectBody(cur, depth, false)
  if (cur.takeWords('EXPLAIN')) return explainStatement(cur, depth)
  const words = REFUSED.find((kind) => cur.takeWords(...kind))
  if (words !== undefined) {
    skipClauses(cur, { guard: false })
    return refused(words.join(' ').toLowerCase())
  }
  if (cur.takeWords('SHOW')) return showStatement(cur)
  const written = writeStatement(cur)
  if (written === undefined) throw new InfluxQLSyntaxError('a statement the gateway does not know')
  skipClauses(cur, { guard: false })
  return written
}
