/**
 * How the InfluxDB 3 double reads the database an InfluxQL statement names (influxdata/influxdb
 * `core/iox_query_influxql_rewrite/src/lib.rs`, `resolve_dbrp`): the first `FROM db.rp.m` / `FROM db..m`
 * source or `ON db` clause; a retention policy other than `autogen`/`default` makes the database `<db>/<rp>`.
 * This is the double's own approximation for the statements tests send (quoted and bare identifiers, `;`
 * between statements outside quotes), not InfluxQL's grammar: the gateway's classifier is the real parser.
 * @packageDocumentation
 */

const IDENT = String.raw`(?:"(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_]*)`
const SOURCE = new RegExp(String.raw`\b(FROM|ON)\s+(${IDENT})(?:\s*\.\s*(${IDENT})?)?(?:\s*\.\s*(${IDENT}))?`, 'i')

function unquote (ident: string | undefined): string | undefined {
  if (ident === undefined) return undefined
  return ident.startsWith('"') ? ident.slice(1, -1).replace(/\\(.)/g, '$1') : ident
}

/** Strips string literals (`'…'`) and comments so the source search sees only the statement's syntax. */
function blankLiterals (statement: string): string {
  return statement.replace(/'(?:[^'\\]|\\.)*'/g, "''").replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ')
}

/** The statements of a query, split at `;` outside quotes; blank ones dropped. */
export function splitStatements (q: string): string[] {
  const out: string[] = []
  let current = ''
  let quote: string | undefined
  for (let i = 0; i < q.length; i++) {
    const c = q[i] as string
    if (quote !== undefined) {
      current += c
      if (c === '\\') current += q[++i] ?? ''
      else if (c === quote) quote = undefined
    } else if (c === ';') {
      out.push(current)
      current = ''
    } else {
      if (c === '"' || c === '\'') quote = c
      current += c
    }
  }
  out.push(current)
  return out.map((s) => s.trim()).filter((s) => s !== '')
}

/** `resolve_dbrp`: the database, or `<db>/<rp>` for a retention policy other than autogen/default (case-sensitive). */
export function resolveDbrp (db: string, rp: string | undefined): string {
  return rp === undefined || rp === '' || rp === 'autogen' || rp === 'default' ? db : `${db}/${rp}`
}

/**
 * The database the statement names itself, or undefined when it names none. On `/query`, an `rp=` parameter
 * fills in the retention policy of a statement that names its database but no retention policy (`db..m`,
 * `ON db`); without a database in the statement it changes nothing (`handler.rs` `execute_query`).
 */
export function statementDatabase (statement: string, rpParam?: string): string | undefined {
  const m = SOURCE.exec(blankLiterals(statement))
  if (m === null) return undefined
  const keyword = (m[1] as string).toUpperCase()
  const [a, b, c] = [unquote(m[2]), unquote(m[3]), unquote(m[4])]
  if (a === undefined) return undefined
  if (keyword === 'ON') return resolveDbrp(a, rpParam)
  // FROM m | FROM rp.m: no database. FROM db..m: b is empty. FROM db.rp.m: all three.
  if (c === undefined) return undefined
  return resolveDbrp(a, b === undefined || b === '' ? rpParam : b)
}

/** Whether the statement is `SHOW DATABASES`. */
export function isShowDatabases (statement: string): boolean {
  return /^\s*SHOW\s+DATABASES\s*$/i.test(blankLiterals(statement))
}
