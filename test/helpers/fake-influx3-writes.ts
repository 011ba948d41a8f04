/**
 * The InfluxDB 3 double's databases and writes (influxdata/influxdb `influxdb3_server/src/http.rs`:
 * `write_lp`, `write_lp_inner`, `validate_db_name`, `create_database`, `delete_database`, `show_databases`;
 * `core/iox_http/src/write/single_tenant/mod.rs` and `…/write/v1.rs` for `/write`'s `<db>/<rp>` and
 * `/api/v2/write`'s bucket). A write names one database, which it creates; the line protocol is kept per
 * database, not parsed.
 * @packageDocumentation
 */
import { failJson, failText, okEmpty, okJson, type Influx3Call, type Reply } from './fake-influx3-http.ts'

/** One accepted write. */
export interface Influx3Write { path: string, db: string, lines: string, tokenName: string | undefined }

/** The double's databases and what was written to them. */
export interface Influx3Data {
  /** Live databases, sorted as InfluxDB 3 lists them (by name); `_internal` always among them. */
  databases (): string[]
  has (db: string): boolean
  writes: Influx3Write[]
  /** Everything written to `db`, joined by newlines. */
  lineProtocol (db: string): string
  /** Answers `/api/v3/write_lp`, `/api/v2/write`, `/write`, and `/api/v3/configure/database`; undefined for other routes. */
  route (call: Influx3Call, mayWrite: (db: string) => boolean): Reply | undefined
}

/** InfluxDB 3's own database, always there. */
export const INTERNAL_DB = '_internal'

/** `validate_db_name`: a letter or digit first, then ASCII letters, digits, `_` or `-`, at most one `/`, 64 bytes. */
export function validDbName (name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_-]*(\/[A-Za-z0-9_-]+)?$/.test(name) && name.length <= 64
}

/** `/write`'s database: `db`, or `<db>/<rp>` for a retention policy other than autogen/default (lower-cased). */
function v1WriteDb (query: URLSearchParams): string | undefined {
  const db = query.get('db')
  if (db === null || db === '') return undefined
  const rp = (query.get('rp') ?? '').toLowerCase()
  return rp === '' || rp === '\'\'' || rp === 'autogen' || rp === 'default' ? db : `${db}/${rp}`
}

/** The database a write route names, or the error InfluxDB 3 answers when it names none or a bad one. */
function writeTarget (call: Influx3Call): string | Reply {
  const { path, query } = call.rec
  if (path === '/api/v2/write') {
    const bucket = query.get('bucket') ?? ''
    if (bucket === '') return { ...okJson(400, { code: 'invalid', message: 'no bucket specified' }), cors: false }
    return validDbName(bucket) ? bucket : { ...okJson(400, { code: 'invalid', message: `invalid database name: ${bucket}` }), cors: false }
  }
  const db = path === '/write' ? v1WriteDb(query) : (query.get('db') ?? undefined)
  if (db === undefined) return path === '/write' ? failJson(400, 'missing query parameter \'db\'') : failText(400, 'missing query parameter \'db\'')
  return validDbName(db) ? db : failText(400, `invalid database name: ${db}`)
}

const WRITE_PATHS = new Set(['/api/v3/write_lp', '/api/v2/write', '/write'])

/** The store; `initial` databases exist at start, besides `_internal`. */
export function createInflux3Data (initial: string[]): Influx3Data {
  const dbs = new Set([INTERNAL_DB, ...initial])
  const writes: Influx3Write[] = []

  const write = (call: Influx3Call, mayWrite: (db: string) => boolean): Reply => {
    const target = writeTarget(call)
    if (typeof target !== 'string') return target
    call.rec.databases.push(target)
    // SECURITY: a resource token writes only the databases it names (Enterprise's write authorization).
    if (!mayWrite(target)) {
      if (call.rec.path === '/api/v2/write') return { ...okJson(403, { code: 'forbidden', message: 'forbidden' }), cors: false }
      return call.rec.path === '/write' ? failJson(403, 'requestor is forbidden from requested resource') : failText(403, '')
    }
    dbs.add(target)
    writes.push({ path: call.rec.path, db: target, lines: call.rec.body.toString('utf8'), tokenName: call.rec.tokenName })
    return okEmpty(204)
  }

  const configure = (call: Influx3Call): Reply => {
    const { method, query, body, contentType } = call.rec
    if (method === 'GET') {
      const format = query.get('format')
      if (format !== 'json') return failText(400, format === null ? 'missing field `format`' : `unsupported format ${format}`)
      return okJson(200, [...dbs].sort().map((name) => ({ 'iox::database': name })))
    }
    if (method === 'DELETE') {
      const db = query.get('db')
      if (db === null) return failText(400, 'missing query parameters \'db\'')
      if (db === INTERNAL_DB || !dbs.delete(db)) return failText(404, `database not found: ${db}`)
      return okEmpty()
    }
    if (method !== 'POST') return failText(405, 'method not allowed')
    if (!/^application\/json\b/.test(contentType ?? '')) return failText(400, 'invalid content type, expected application/json')
    let db: unknown
    try { db = (JSON.parse(body.toString('utf8')) as { db?: unknown }).db } catch { return failText(400, 'invalid JSON body') }
    if (typeof db !== 'string' || !validDbName(db)) return failText(400, `invalid database name: ${String(db)}`)
    if (dbs.has(db)) return failText(409, 'attempted to create a resource that already exists')
    dbs.add(db)
    return okEmpty()
  }

  return {
    databases: () => [...dbs].sort(),
    has: (db) => dbs.has(db),
    writes,
    lineProtocol: (db) => writes.filter((w) => w.db === db).map((w) => w.lines).join('\n'),
    route (call, mayWrite) {
      if (WRITE_PATHS.has(call.rec.path)) return call.rec.method === 'POST' ? write(call, mayWrite) : failText(404, 'Not found')
      if (call.rec.path === '/api/v3/configure/database') return configure(call)
      return undefined
    }
  }
}
