/**
 * The InfluxDB 2 double's organisations, users, buckets by name and authorizations (`/api/v2/orgs`,
 * `/api/v2/users`, `/api/v2/buckets?name=`, `/api/v2/authorizations` with `{authID}`), as the OpenAPI contract
 * in the repo's fixture describes them: request bodies are validated against its schemas (an invalid one gets
 * InfluxDB's 400). The authorization routes check permissions as InfluxDB does: the operator token may do anything;
 * a minted token needs `write:authorizations` to create or delete one (else InfluxDB's 401 `… is unauthorized`),
 * `read:authorizations` to read them, and the list it gets holds, as the contract says, each authorization it may
 * read (`read:authorizations` on it and `read:users` on its user) with its `token`, the operator's own included.
 * Elsewhere a minted token works on every guarded route until it is deleted, then gets 401.
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto'
import type http from 'node:http'
import { INFLUX_RESOURCE_TYPES } from '../../src/config/influx-permissions.ts'
import type { RecordedRequest } from './fake-influx.ts'
import { schemaValidator } from './openapi.ts'
import { recordSecret } from './secret-ledger.ts'

/** What the double knows besides its static tokens. */
export interface TenancyOptions {
  /** The all-access token; default {@link OPERATOR_TOKEN}. */
  operatorToken?: string
  /** The organisation's name; default `my-org`. */
  org?: string
  /** InfluxDB users besides `admin`. */
  users?: string[]
  /** Buckets besides `test-bucket`. */
  buckets?: string[]
  /** InfluxDB's clock (the authorizations' `createdAt`). */
  now?: () => number
}

/** One stored authorization, in the contract's `Authorization` shape. */
export interface StoredAuthorization {
  id: string
  token: string
  status: 'active'
  description: string
  orgID: string
  org: string
  userID: string
  user: string
  permissions: Array<{ action: string, resource: Record<string, string> }>
  createdAt: string
  updatedAt: string
  links: { self: string, user: string }
}

/** The tenancy part of the double. */
export interface Tenancy {
  operatorToken: string
  orgID: string
  /** The live authorizations created through the API, in creation order (not the operator's own, see {@link OPERATOR_AUTH_ID}). */
  authorizations (): StoredAuthorization[]
  /** Whether a minted (or operator) token is accepted now. */
  accepts (token: string): boolean
  /** Answers the request when it is a tenancy route; false otherwise. */
  route (res: http.ServerResponse, rec: RecordedRequest, body: Promise<void>, token: string): boolean
}

/** The default operator token of the double (recorded in the log-secret ledger). */
export const OPERATOR_TOKEN = 'operator-token-0123456789abcdef'

const ORG_ID = '0000000000000003'
const ADMIN_ID = '0000000000000001'
/** The ID of the operator token's authorization, which the API lists (description `admin's Token`) but cannot delete. */
export const OPERATOR_AUTH_ID = '0000000000000a01'

type Send = (res: http.ServerResponse, status: number, body: unknown) => void
type SendError = (res: http.ServerResponse, status: number, code: string, message: string) => void

/** Creates the tenancy routes; `send`/`sendError` are the double's own writers. */
export function createTenancy (opts: TenancyOptions, send: Send, sendError: SendError): Tenancy {
  const operatorToken = opts.operatorToken ?? OPERATOR_TOKEN
  recordSecret(operatorToken, 'operator-token')
  const org = { id: ORG_ID, name: opts.org ?? 'my-org' }
  const users = [{ id: ADMIN_ID, name: 'admin' }, ...(opts.users ?? []).map((name, i) => ({ id: (0x100 + i).toString(16).padStart(16, '0'), name }))]
  const buckets = ['test-bucket', ...(opts.buckets ?? [])].map((name, i) => ({ id: (0x200 + i).toString(16).padStart(16, '0'), name }))
  const auths = new Map<string, StoredAuthorization>()
  const now = opts.now ?? Date.now
  const validPost = schemaValidator('AuthorizationPostRequest')
  const orgJson = { ...org, status: 'active', links: { self: `/api/v2/orgs/${ORG_ID}` } }
  const userJson = (u: { id: string, name: string }): unknown => ({ ...u, status: 'active', links: { self: `/api/v2/users/${u.id}` } })
  const unauthorized = (res: http.ServerResponse, what: string): void => sendError(res, 401, 'unauthorized', `${what} is unauthorized`)

  const stored = (id: string, token: string, description: string, user: { id: string, name: string },
    permissions: StoredAuthorization['permissions']): StoredAuthorization => {
    const at = new Date(now()).toISOString()
    const links = { self: `/api/v2/authorizations/${id}`, user: `/api/v2/users/${user.id}` }
    const owner = { orgID: ORG_ID, org: org.name, userID: user.id, user: user.name }
    return { id, token, status: 'active', description, ...owner, permissions, createdAt: at, updatedAt: at, links }
  }
  // The operator token's own authorization: all access, as `influx setup` makes it.
  const allAccess = INFLUX_RESOURCE_TYPES.flatMap((type) => ['read', 'write'].map((action) => ({ action, resource: { type } })))
  const operatorAuth = stored(OPERATOR_AUTH_ID, operatorToken, 'admin\'s Token', users[0] as { id: string, name: string }, allAccess)
  /** Whether `token` holds `action` on the resource (a permission without orgID or id covers every org or resource). */
  const can = (token: string, action: string, type: string, resource: { orgID?: string, id?: string }): boolean =>
    token === operatorToken || [...auths.values()].some((a) => a.token === token && a.permissions.some((p) =>
      p.action === action && p.resource.type === type && (p.resource.orgID === undefined || resource.orgID === undefined || p.resource.orgID === resource.orgID) &&
      (p.resource.id === undefined || p.resource.id === resource.id)))
  /** InfluxDB's filter on a list: read on the authorization, and on its user. */
  const readable = (token: string, a: StoredAuthorization): boolean =>
    can(token, 'read', 'authorizations', { orgID: a.orgID, id: a.id }) && can(token, 'read', 'users', { id: a.userID })

  function create (res: http.ServerResponse, rec: RecordedRequest): void {
    let body: Record<string, unknown>
    try { body = JSON.parse(rec.body.toString('utf8')) as Record<string, unknown> } catch { return sendError(res, 400, 'invalid', 'invalid json') }
    const check = validPost(body)
    if (!check.valid) return sendError(res, 400, 'invalid', check.errors)
    if (body.orgID !== ORG_ID) return sendError(res, 404, 'not found', 'organization not found')
    const user = users.find((u) => u.id === (body.userID ?? ADMIN_ID))
    if (user === undefined) return sendError(res, 404, 'not found', 'user not found')
    const id = randomBytes(8).toString('hex')
    const token = `${randomBytes(64).toString('base64url')}==`
    recordSecret(token, 'minted-token')
    const auth = stored(id, token, String(body.description ?? ''), user, body.permissions as StoredAuthorization['permissions'])
    auths.set(id, auth)
    send(res, 201, auth)
  }

  function list (res: http.ServerResponse, rec: RecordedRequest, token: string): void {
    const q = rec.query
    const found = [operatorAuth, ...auths.values()].filter((a) => readable(token, a) && (!q.has('orgID') || q.get('orgID') === a.orgID) && (!q.has('org') || q.get('org') === a.org) &&
      (!q.has('user') || q.get('user') === a.user) && (!q.has('userID') || q.get('userID') === a.userID))
    send(res, 200, { links: { self: '/api/v2/authorizations' }, authorizations: found })
  }

  const byName = <T extends { name: string }>(all: T[], name: string | null): T[] => name === null ? all : all.filter((x) => x.name === name)
  return {
    operatorToken,
    orgID: ORG_ID,
    authorizations: () => [...auths.values()],
    accepts: (token) => token === operatorToken || [...auths.values()].some((a) => a.token === token),
    route (res, rec, body, token) {
      if (rec.path === '/api/v2/orgs' && rec.method === 'GET') {
        const found = byName([org], rec.query.get('org'))
        if (found.length === 0) sendError(res, 404, 'not found', 'organization name "' + String(rec.query.get('org')) + '" not found')
        else send(res, 200, { links: { self: '/api/v2/orgs' }, orgs: found.map(() => orgJson) })
        return true
      }
      if (rec.path === '/api/v2/users' && rec.method === 'GET') {
        send(res, 200, { links: { self: '/api/v2/users' }, users: byName(users, rec.query.get('name')).map(userJson) })
        return true
      }
      if (rec.path === '/api/v2/buckets' && rec.method === 'GET' && rec.query.has('name')) {
        const found = byName(buckets, rec.query.get('name'))
        if (found.length === 0) sendError(res, 404, 'not found', `bucket "${String(rec.query.get('name'))}" not found`)
        else send(res, 200, { links: { self: '/api/v2/buckets' }, buckets: found.map((b) => ({ ...b, orgID: ORG_ID, type: 'user', retentionRules: [] })) })
        return true
      }
      if (rec.path === '/api/v2/authorizations') {
        const action = rec.method === 'GET' ? 'read' : 'write'
        if (!can(token, action, 'authorizations', { orgID: ORG_ID })) unauthorized(res, `${action}:orgs/${ORG_ID}/authorizations`)
        else if (rec.method === 'POST') body.then(() => create(res, rec)).catch(() => {})
        else if (rec.method === 'GET') list(res, rec, token)
        else sendError(res, 405, 'method not allowed', 'method not allowed')
        return true
      }
      if (rec.path.startsWith('/api/v2/authorizations/')) {
        const id = decodeURIComponent(rec.path.slice('/api/v2/authorizations/'.length))
        const action = rec.method === 'GET' ? 'read' : 'write'
        const found = id === OPERATOR_AUTH_ID ? operatorAuth : auths.get(id)
        if (!can(token, action, 'authorizations', { orgID: ORG_ID, id })) unauthorized(res, `${action}:orgs/${ORG_ID}/authorizations/${id}`)
        else if (rec.method !== 'DELETE' && rec.method !== 'GET') sendError(res, 405, 'method not allowed', 'method not allowed')
        else if (found === undefined) sendError(res, 404, 'not found', 'authorization not found')
        else if (rec.method === 'GET') send(res, 200, found)
        else if (found === operatorAuth) sendError(res, 403, 'forbidden', 'the operator token of this double is not deleted')
        else { auths.delete(id); res.writeHead(204).end() }
        return true
      }
      return false
    }
  }
}

/**
 * Creates a read-buckets authorization in the double at `url` with the operator token, as an operator
 * or another tool would, outside the gateway; resolves to its id.
 */
export async function createAuthorizationDirectly (
  influx: { url: string, tenancy: { operatorToken: string, orgID: string } }, description: string
): Promise<string> {
  const res = await fetch(`${influx.url}/api/v2/authorizations`, {
    method: 'POST',
    headers: { authorization: `Token ${influx.tenancy.operatorToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ orgID: influx.tenancy.orgID, description, permissions: [{ action: 'read', resource: { type: 'buckets' } }] })
  })
  if (res.status !== 201) throw new Error(`the double refused to create an authorization: ${res.status}`)
  return (await res.json() as { id: string }).id
}
