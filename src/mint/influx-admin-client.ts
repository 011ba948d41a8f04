import { InfluxAdminError, operatorCall, type InfluxAdminClientOptions } from './operator-call.ts'

export { InfluxAdminError, type InfluxAdminClientOptions }

/** A permission as InfluxDB's API takes it. */
export interface InfluxPermission {
  action: 'read' | 'write'
  resource: { type: string, orgID: string, id?: string }
}

/** An authorization as the gateway needs it from InfluxDB's answers. */
export interface InfluxAuthorization { id: string, description: string, createdAt: string | undefined }

/** The InfluxDB 2 API calls minting needs, made with the operator token. */
export interface InfluxAdminClient {
  /** The ID of the organisation named `org`. @throws InfluxAdminError (404 when there is none) */
  orgId (org: string): Promise<string>
  /** The ID of the InfluxDB user named `name`, or undefined when there is none. */
  userId (name: string): Promise<string | undefined>
  /** The ID of the bucket `name` of the org, or undefined when there is none. */
  bucketId (orgID: string, name: string): Promise<string | undefined>
  createAuthorization (body: { orgID: string, userID?: string, description: string, permissions: InfluxPermission[] }):
  Promise<{ id: string, token: string }>
  /** Every authorization the operator token can see. */
  listAuthorizations (): Promise<InfluxAuthorization[]>
  /** The authorization `id`, or undefined when there is none. */
  authorization (id: string): Promise<InfluxAuthorization | undefined>
  /** Deletes an authorization; one already gone (404) counts as deleted. */
  deleteAuthorization (id: string): Promise<void>
}

type Json = Record<string, unknown>

/**
 * The client, over `fetch` (undici). SECURITY: the operator token goes only to these few InfluxDB
 * endpoints, from here; it is never put on a forwarded request, and never in a log line or an error.
 */
export function createInfluxAdminClient (opts: InfluxAdminClientOptions): InfluxAdminClient {
  async function call (method: string, path: string, query: Record<string, string> = {}, body?: unknown): Promise<Json | undefined> {
    const res = await operatorCall(opts, { method, path: `api/v2/${path}`, query, body, scheme: 'Token' })
    const json = parse(res.text)
    if (res.ok) return json
    if (method === 'DELETE' && res.status === 404) return undefined
    const message = typeof json?.message === 'string' ? json.message : `HTTP ${res.status}`
    throw new InfluxAdminError(res.status, message)
  }
  const first = (list: unknown): Json | undefined => Array.isArray(list) ? list[0] as Json | undefined : undefined
  return {
    async orgId (org) {
      const found = first((await call('GET', 'orgs', { org }).catch(notFoundAsEmpty))?.orgs)
      if (typeof found?.id !== 'string') throw new InfluxAdminError(404, `organization "${org}" not found`)
      return found.id
    },
    async userId (name) {
      const found = first((await call('GET', 'users', { name }).catch(notFoundAsEmpty))?.users)
      return typeof found?.id === 'string' ? found.id : undefined
    },
    async bucketId (orgID, name) {
      const found = first((await call('GET', 'buckets', { orgID, name }).catch(notFoundAsEmpty))?.buckets)
      return typeof found?.id === 'string' ? found.id : undefined
    },
    async createAuthorization (body) {
      const created = await call('POST', 'authorizations', {}, body)
      if (typeof created?.id !== 'string' || typeof created.token !== 'string') throw new InfluxAdminError(undefined, 'malformed answer')
      return { id: created.id, token: created.token }
    },
    async listAuthorizations () {
      const list = (await call('GET', 'authorizations'))?.authorizations
      return (Array.isArray(list) ? list as Json[] : []).flatMap((a) => authorizationOf(a) ?? [])
    },
    async authorization (id) {
      const found = await call('GET', `authorizations/${encodeURIComponent(id)}`).catch(notFoundAsEmpty)
      return found === undefined ? undefined : authorizationOf(found)
    },
    async deleteAuthorization (id) {
      await call('DELETE', `authorizations/${encodeURIComponent(id)}`)
    }
  }
}

/** InfluxDB answers a lookup by name that finds nothing with 404 (orgs, buckets) or an empty list (users). */
function notFoundAsEmpty (err: unknown): undefined {
  if (err instanceof InfluxAdminError && err.status === 404) return undefined
  throw err
}

/** The fields the gateway reads of an authorization InfluxDB returned; undefined without an id. */
function authorizationOf (a: Json): InfluxAuthorization | undefined {
  if (typeof a.id !== 'string') return undefined
  return {
    id: a.id,
    description: typeof a.description === 'string' ? a.description : '',
    createdAt: typeof a.createdAt === 'string' ? a.createdAt : undefined
  }
}

function parse (text: string): Json | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return value !== null && typeof value === 'object' ? value as Json : undefined
  } catch {
    return undefined
  }
}
