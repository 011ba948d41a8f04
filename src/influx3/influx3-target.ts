import { classifyInfluxQL } from '../influxql/classify-influxql.ts'
import type { Influx3Route } from './influx3-route.ts'

/** A request's parameters as InfluxDB 3 reads them: the query string, and the body's when the route reads one. */
export interface Influx3Params {
  query: URLSearchParams
  /** The body's fields (form-encoded, multipart or JSON), when the request's body carries parameters. */
  body?: ReadonlyMap<string, readonly string[]>
}

/** What a write or query request reaches in InfluxDB 3, or why the gateway cannot tell. */
export type Influx3Target =
  | { ok: true, access: 'write', databases: string[] }
  /** `showDatabases`: a `SHOW DATABASES` statement, whose answer is filtered to what may be read. */
  | { ok: true, access: 'read', databases: string[], showDatabases: boolean }
  | { ok: false, reason: string }

/**
 * The databases a write or query reaches, read from exactly where InfluxDB 3 reads them for that route: the
 * query string (`db`, `bucket`, `rp`), a query's form, multipart or JSON body, and an InfluxQL statement
 * itself, whose database wins over `db` (a retention policy other than `autogen`/`default` makes another
 * database, `<db>/<rp>`). A parameter named twice (or in both places), a database named nowhere, a statement
 * InfluxDB 3 does not run or the gateway cannot classify: refused, never guessed.
 */
export function influx3Target (route: Extract<Influx3Route, { kind: 'write' | 'query' }>, params: Influx3Params): Influx3Target {
  try {
    if (route.kind === 'write') return writeTarget(route.api, params)
    return route.language === 'sql' ? sqlTarget(params) : influxqlTarget(params, route.api)
  } catch (err) {
    if (err instanceof Ambiguous) return { ok: false, reason: err.message }
    throw err
  }
}

function writeTarget (api: 'v3' | 'v2' | 'v1', params: Influx3Params): Influx3Target {
  const db = api === 'v2' ? one(params, 'bucket') : one(params, 'db')
  if (db === undefined) return { ok: false, reason: `the write names no database (${api === 'v2' ? 'bucket' : 'db'})` }
  return { ok: true, access: 'write', databases: [api === 'v1' ? dbrp(db, one(params, 'rp')) : db] }
}

/** SQL runs in the database the request names, with DDL, DML and statements disabled (InfluxDB 3's context). */
function sqlTarget (params: Influx3Params): Influx3Target {
  const db = one(params, 'db')
  const q = one(params, 'q')
  if (db === undefined || q === undefined) return { ok: false, reason: 'a SQL query needs db and q' }
  // SECURITY: `system.queries` lists every database's query texts to anyone who may read one database.
  if (/\bsystem\s*\.\s*queries\b/i.test(q.replace(/"/g, ''))) {
    return { ok: false, reason: 'system.queries shows every database\'s queries: refused' }
  }
  return { ok: true, access: 'read', databases: [db], showDatabases: false }
}

function influxqlTarget (params: Influx3Params, api: 'v3' | 'v1'): Influx3Target {
  const q = one(params, 'q')
  if (q === undefined) return { ok: false, reason: 'an InfluxQL query needs q' }
  const classified = classifyInfluxQL(q, { db: one(params, 'db'), rp: one(params, 'rp') })
  if (!classified.ok) return { ok: false, reason: `InfluxQL the gateway cannot classify: ${classified.reason}` }
  const databases = new Set<string>()
  let showDatabases = false
  for (const statement of classified.statements) {
    if (!statement.runsOnV3) return { ok: false, reason: `InfluxDB 3 does not run ${statement.kind.toUpperCase()}` }
    if (statement.kind === 'show databases') showDatabases = true
    for (const db of statement.databases) databases.add(db)
  }
  if (showDatabases && classified.statements.length > 1) return { ok: false, reason: 'SHOW DATABASES must be sent alone' }
  // Its answer is filtered, which the gateway does in JSON only.
  const format = api === 'v3' ? one(params, 'format') : undefined
  if (showDatabases && format !== undefined && format !== 'json') {
    return { ok: false, reason: 'SHOW DATABASES is answered as format=json only' }
  }
  return { ok: true, access: 'read', databases: [...databases], showDatabases }
}

/** A parameter named twice: which value InfluxDB 3 takes is not for the gateway to guess. */
class Ambiguous extends Error {}

/** The one value of `name` across the query string and the body; undefined when absent or empty. */
function one ({ query, body }: Influx3Params, name: string): string | undefined {
  const values = [...query.getAll(name), ...(body?.get(name) ?? [])]
  if (values.length > 1) throw new Ambiguous(`${name} is given more than once`)
  const value = values[0]
  return value === undefined || value === '' ? undefined : value
}

/** InfluxDB 3's database for a 1.x database and retention policy. */
export function dbrp (db: string, rp: string | undefined): string {
  return rp === undefined || rp === 'autogen' || rp === 'default' ? db : `${db}/${rp}`
}
