/**
 * The InfluxDB 3 double's query routes. Where each reads `db` and `q` (influxdata/influxdb
 * `influxdb3_server/src/http.rs` `extract_query_request`: the query string on GET, a JSON body on POST;
 * `core/iox_v1_query_api/src/handler.rs` `extract_request`: `/query`'s query string, form-encoded or multipart
 * body over the query string, or an `application/vnd.influxql` body); which database a statement runs in
 * (`/query`: the statement's wins over `db`; `/api/v3/query_influxql`: both must agree, one statement only);
 * `SHOW DATABASES` (v1 JSON on `/query`, filtered to what the token may read; rows with `deleted` on
 * `/api/v3/query_influxql`); `SELECT … FROM system.tokens` on `_internal` (`influxdb3_system_tables`). Every
 * other statement gets a small canned result: the double has no query engine.
 * @packageDocumentation
 */
import { failJson, failText, okJson, type Influx3Call, type Reply } from './fake-influx3-http.ts'
import { isShowDatabases, splitStatements, statementDatabase } from './fake-influx3-influxql.ts'
import { INTERNAL_DB } from './fake-influx3-writes.ts'

/** One query as it reached the double. */
export interface Influx3Query {
  path: string
  q: string
  /** The `db` the request named (parameter or body), if any. */
  db: string | undefined
  format: string | undefined
  tokenName: string | undefined
}

/** What the query routes need from the rest of the double. */
export interface QueryContext {
  databases: () => string[]
  /** Whether the call's token may read `db`. */
  mayRead: (call: Influx3Call, db: string) => boolean
  /** `system.tokens`' rows, every column. */
  tokenRows: () => Array<Record<string, unknown>>
  queries: Influx3Query[]
}

/** The one row every other statement answers. */
export const CANNED_ROW = { time: '2026-01-01T00:00:00', value: 1 }
const TOKENS_SQL = /^\s*SELECT\s+(\*|[a-z_]+(?:\s*,\s*[a-z_]+)*)\s+FROM\s+system\.tokens\s*;?\s*$/i
const QUERY_PATHS = new Set(['/api/v3/query_sql', '/api/v3/query_influxql', '/query'])

/** `db`, `q` and `format` of a `/api/v3/query_*` request: query string on GET, JSON body on POST. */
function v3Params (call: Influx3Call): { db?: string, q?: string, format?: string } | Reply {
  const { method, query, body } = call.rec
  if (method === 'GET') return { db: query.get('db') ?? undefined, q: query.get('q') ?? undefined, format: query.get('format') ?? undefined }
  try {
    const json = JSON.parse(body.toString('utf8')) as Record<string, unknown>
    const str = (v: unknown): string | undefined => typeof v === 'string' ? v : undefined
    return { db: str(json.db), q: str(json.q), format: str(json.format) }
  } catch {
    return failText(400, 'invalid JSON body')
  }
}

/** `/query`'s parameters by method and content type; body fields win over the query string. */
async function v1Params (call: Influx3Call): Promise<URLSearchParams | Reply> {
  const { method, query, body, contentType } = call.rec
  if (method === 'GET') return query
  const mime = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  if (mime === '' || mime === 'application/vnd.influxql') {
    const merged = new URLSearchParams(query)
    if ((merged.get('q') ?? '') === '') merged.set('q', body.toString('utf8'))
    return merged
  }
  let fields: URLSearchParams | FormData
  if (mime === 'application/x-www-form-urlencoded') fields = new URLSearchParams(body.toString('utf8'))
  else if (mime === 'multipart/form-data') {
    try { fields = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType ?? '' } }).formData() } catch { return failJson(400, 'multipart field error') }
  } else return failJson(400, `invalid mime type (${mime})`)
  const merged = new URLSearchParams(query)
  for (const [k, v] of fields.entries()) if (typeof v === 'string') merged.set(k, v)
  return merged
}

function v1Query (call: Influx3Call, ctx: QueryContext, params: URLSearchParams): Reply {
  const q = params.get('q') ?? ''
  const paramDb = (params.get('db') ?? '') === '' ? undefined : params.get('db') ?? undefined
  ctx.queries.push({ path: call.rec.path, q, db: paramDb, format: undefined, tokenName: call.rec.tokenName })
  if (q === '') return { ...failJson(400, 'expected a query to be provided in the query string or body'), cors: true }
  const results: unknown[] = []
  for (const [i, statement] of splitStatements(q).entries()) {
    if (isShowDatabases(statement)) {
      const values = ctx.databases().filter((db) => ctx.mayRead(call, db)).map((db) => [db])
      results.push({ statement_id: i, series: [{ name: 'databases', columns: ['name'], values }] })
      continue
    }
    const db = statementDatabase(statement, params.get('rp') ?? undefined) ?? paramDb
    if (db === undefined) {
      results.push({ statement_id: i, error: 'must specify a \'db\' parameter, or provide the database in the InfluxQL query' })
      continue
    }
    call.rec.databases.push(db)
    // SECURITY: a resource token reads only the databases it names; the whole request fails (handler.rs authorize_request).
    if (!ctx.mayRead(call, db)) return { ...failJson(403, 'authorization failure: permission denied'), cors: true }
    results.push({ statement_id: i, series: [{ name: 'm', columns: Object.keys(CANNED_ROW), values: [Object.values(CANNED_ROW)] }] })
  }
  return okJson(200, { results })
}

function influxqlQuery (call: Influx3Call, ctx: QueryContext, p: { db?: string, q: string }): Reply {
  const statements = splitStatements(p.q)
  if (statements.length !== 1) return failText(400, 'must provide only one InfluxQl statement per query')
  const statement = statements[0] as string
  if (isShowDatabases(statement)) return okJson(200, ctx.databases().map((db) => ({ deleted: false, 'iox::database': db })))
  const named = statementDatabase(statement)
  if (p.db !== undefined && named !== undefined && p.db !== named) {
    return failText(400, `provided a database in both the parameters (${p.db}) and query string (${named}) that do not match, ` +
      'if providing a query that specifies the database, you can omit the \'database\' parameter from your request')
  }
  const db = named ?? p.db
  if (db === undefined) return failText(400, 'must specify a \'db\' parameter, or provide the database in the InfluxQL query')
  return answerIn(call, ctx, db, () => [{ ...CANNED_ROW, 'iox::measurement': 'm' }])
}

function sqlQuery (call: Influx3Call, ctx: QueryContext, p: { db?: string, q: string }): Reply {
  if (p.db === undefined) return failText(400, 'missing query parameters \'db\' and \'q\'')
  const tokens = TOKENS_SQL.exec(p.q)
  if (tokens !== null && p.db !== INTERNAL_DB && ctx.databases().includes(p.db)) return failText(400, 'Error during planning: table \'system.tokens\' not found')
  const columns = tokens?.[1] === '*' ? undefined : tokens?.[1]?.split(',').map((c) => c.trim().toLowerCase())
  const rows = tokens === null
    ? () => [CANNED_ROW]
    : () => ctx.tokenRows().map((r) => columns === undefined ? r : Object.fromEntries(columns.filter((c) => c in r).map((c) => [c, r[c]])))
  return answerIn(call, ctx, p.db, rows)
}

/** Runs "in" `db`: it must exist and be readable; rows as a JSON array (arrow-json), JSON lines or CSV. */
function answerIn (call: Influx3Call, ctx: QueryContext, db: string, rows: () => Array<Record<string, unknown>>): Reply {
  call.rec.databases.push(db)
  if (!ctx.databases().includes(db)) return failText(404, `database not found: ${db}`)
  if (!ctx.mayRead(call, db)) return failText(403, '')
  const format = (call.rec.method === 'GET' ? call.rec.query.get('format') ?? undefined : formatOfBody(call)) ?? formatOfAccept(call)
  const data = rows()
  if (format === 'json') return okJson(200, data)
  if (format === 'jsonl' || format === 'json_lines') return { status: 200, body: data.map((r) => JSON.stringify(r)).join('\n') + '\n', headers: { 'content-type': 'application/jsonl' }, cors: true }
  if (format === 'csv') {
    const cols = Object.keys(data[0] ?? {})
    return { status: 200, body: [cols.join(','), ...data.map((r) => cols.map((c) => String(r[c] ?? '')).join(','))].join('\n') + '\n', headers: { 'content-type': 'text/csv' }, cors: true }
  }
  return failText(400, `unsupported format ${format}`)
}

/** `QueryFormat::try_from_headers`: the `Accept` header's format, JSON when it names none the double knows. */
function formatOfAccept (call: Influx3Call): string {
  const accept = call.rec.headers.accept ?? ''
  return accept.includes('text/csv') ? 'csv' : accept.includes('application/jsonl') ? 'jsonl' : 'json'
}

function formatOfBody (call: Influx3Call): string | undefined {
  try { return (JSON.parse(call.rec.body.toString('utf8')) as { format?: string }).format } catch { return undefined }
}

/** Answers the query routes; undefined for other paths. */
export async function routeQuery (call: Influx3Call, ctx: QueryContext): Promise<Reply | undefined> {
  const { path, method } = call.rec
  if (!QUERY_PATHS.has(path)) return undefined
  if (method !== 'GET' && method !== 'POST') return failText(404, 'Not found')
  if (path === '/query') {
    const params = await v1Params(call)
    return params instanceof URLSearchParams ? v1Query(call, ctx, params) : { ...params, cors: true }
  }
  const p = v3Params(call)
  if ('status' in p) return p
  ctx.queries.push({ path, q: p.q ?? '', db: p.db, format: p.format, tokenName: call.rec.tokenName })
  if (p.q === undefined) return failText(400, 'missing query parameters \'db\' and \'q\'')
  return path === '/api/v3/query_sql' ? sqlQuery(call, ctx, { db: p.db, q: p.q }) : influxqlQuery(call, ctx, { db: p.db, q: p.q })
}
