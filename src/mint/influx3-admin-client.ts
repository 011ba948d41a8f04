import { InfluxAdminError, operatorCall, type InfluxAdminClientOptions } from './operator-call.ts'

/** A resource token's permission, as InfluxDB 3 Enterprise takes it (database names, or `*` alone). */
export interface Influx3Permission {
  resource_type: 'db'
  resource_names: string[]
  actions: Array<'read' | 'write'>
}

/** A token as `system.tokens` lists it (never its secret: InfluxDB 3 keeps only a hash). */
export interface Influx3TokenInfo {
  name: string
  /** ISO time (UTC), when InfluxDB 3 gave one. */
  createdAt: string | undefined
  /** ISO time (UTC); undefined when the token never expires. */
  expiresAt: string | undefined
  /** InfluxDB 3's text of its permissions: `*:*:*` for admin tokens, `db:a,b:read,write` for resource tokens. */
  permissions: string | undefined
}

/** A token just created: its name and secret. */
export interface Influx3NewToken { name: string, token: string, expiresAt: string | undefined }

/** Which InfluxDB 3 answers, from `/ping`. */
export interface Influx3BuildInfo { build: 'Core' | 'Enterprise', version: string }

/** The InfluxDB 3 API calls minting needs, made with the operator token. */
export interface Influx3AdminClient {
  /** Core (and Enterprise): an admin token named `name`. @throws InfluxAdminError (409: the name is taken) */
  createNamedAdminToken (name: string, expirySecs: number): Promise<Influx3NewToken>
  /** Enterprise: a token that may only do what `permissions` say. @throws InfluxAdminError */
  createResourceToken (name: string, permissions: Influx3Permission[], expirySecs: number): Promise<Influx3NewToken>
  /** Deletes the token named `name`; one already gone (404) counts as deleted. */
  deleteToken (name: string): Promise<void>
  /** Every token, from `system.tokens` on `_internal` (the only way InfluxDB 3 lists them). */
  listTokens (): Promise<Influx3TokenInfo[]>
  /** Every database's name, `_internal` included. */
  listDatabases (): Promise<string[]>
  /** The build and version `/ping` names. @throws InfluxAdminError when it is not InfluxDB 3 */
  build (): Promise<Influx3BuildInfo>
}

/** The query the gateway sends to list tokens; the InfluxDB 3 double answers exactly this shape. */
export const LIST_TOKENS_SQL = 'SELECT name, created_at, expiry, permissions FROM system.tokens'

type Json = Record<string, unknown>
interface Answer { body: unknown, headers: Headers }

/**
 * The client, over `fetch` (undici). SECURITY: the operator token goes only to these few InfluxDB 3
 * endpoints, from here, as `Authorization: Bearer`; it is never put on a forwarded request, and never in a
 * log line or an error. The query text of `listTokens` travels in the body, not the URL.
 */
export function createInflux3AdminClient (opts: InfluxAdminClientOptions): Influx3AdminClient {
  async function call (method: string, path: string, query: Record<string, string> = {}, body?: unknown): Promise<Answer> {
    const res = await operatorCall(opts, { method, path, query, body, scheme: 'Bearer' })
    if (res.ok || (method === 'DELETE' && res.status === 404)) return { body: parse(res.text), headers: res.headers }
    throw new InfluxAdminError(res.status, messageOf(res.text, res.status))
  }
  const created = async (path: string, body: Json): Promise<Influx3NewToken> => {
    const answer = (await call('POST', path, {}, body)).body as Json | undefined
    if (typeof answer?.token !== 'string' || answer.token === '') throw new InfluxAdminError(undefined, 'malformed answer')
    return { name: String(body.token_name), token: answer.token, expiresAt: isoTime(answer.expiry) }
  }
  return {
    createNamedAdminToken: async (name, expirySecs) =>
      await created('api/v3/configure/token/named_admin', { token_name: name, expiry_secs: expirySecs }),
    createResourceToken: async (name, permissions, expirySecs) =>
      await created('api/v3/enterprise/configure/token', { token_name: name, permissions, expiry_secs: expirySecs }),
    async deleteToken (name) {
      await call('DELETE', 'api/v3/configure/token', { token_name: name })
    },
    async listTokens () {
      const { body } = await call('POST', 'api/v3/query_sql', {}, { db: '_internal', q: LIST_TOKENS_SQL, format: 'json' })
      return rowsOf(body).flatMap((row) => typeof row.name === 'string' ? [tokenInfo(row.name, row)] : [])
    },
    async listDatabases () {
      const { body } = await call('GET', 'api/v3/configure/database', { format: 'json' })
      // InfluxDB 3 answers rows (`[{"iox::database": …}]`); its contract describes `{"databases": […]}`: either is read.
      const listed = (body as Json | undefined)?.databases
      if (Array.isArray(listed)) return listed.filter((d): d is string => typeof d === 'string')
      return rowsOf(body).flatMap((row) => typeof row['iox::database'] === 'string' ? [row['iox::database']] : [])
    },
    async build () {
      const { body, headers } = await call('GET', 'ping')
      const build = headers.get('x-influxdb-build')
      if (build !== 'Core' && build !== 'Enterprise') {
        throw new InfluxAdminError(undefined, `not InfluxDB 3 (x-influxdb-build: ${build ?? 'none'})`)
      }
      const version = headers.get('x-influxdb-version') ?? (body as Json | undefined)?.version
      return { build, version: typeof version === 'string' ? version : '' }
    }
  }
}

/** A `system.tokens` row as the gateway reads it. */
function tokenInfo (name: string, row: Json): Influx3TokenInfo {
  const permissions = typeof row.permissions === 'string' ? row.permissions : undefined
  return { name, createdAt: isoTime(row.created_at), expiresAt: isoTime(row.expiry), permissions }
}

/** Query rows: InfluxDB 3's JSON array (or a `{"results": […]}` object, as its contract describes). */
function rowsOf (body: unknown): Json[] {
  const rows = Array.isArray(body) ? body : (body as Json | undefined)?.results
  return Array.isArray(rows) ? rows.filter((r): r is Json => r !== null && typeof r === 'object') : []
}

/** An ISO time (UTC) from InfluxDB 3's RFC 3339 (`…Z`) or arrow-json's naive UTC time (`2026-01-01T00:00:00.5`). */
function isoTime (value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined
  const ms = Date.parse(/(Z|[+-]\d\d:?\d\d)$/.test(value) ? value : `${value}Z`)
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString()
}

/** InfluxDB 3's error text: `{"error"}`, `{"message"}` (`/api/v2/write`), else the plain body (bounded). */
function messageOf (text: string, status: number): string {
  const json = parse(text) as Json | undefined
  if (typeof json?.error === 'string') return json.error
  if (typeof json?.message === 'string') return json.message
  const plain = text.trim().slice(0, 200)
  return plain === '' ? `HTTP ${status}` : plain
}

function parse (text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}
