/**
 * The InfluxDB 2 double's organisations, users, buckets by name and authorizations (`/api/v2/orgs`,
 * `/api/v2/users`, `/api/v2/buckets?name=`, `/api/v2/authorizations` with `{authID}`), as the OpenAPI contract
 * in the repo's fixture describes them: request bodies are validated against its schemas (an invalid one gets
 * InfluxDB's 400). Only the operator token may list, create or delete authorizations (any other gets InfluxDB's
 * 401 `… is unauthorized`); a minted token works on every guarded route until it is deleted, then gets 401.
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto'
import type http from 'node:http'
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
  /** The live authorizations, in creation order. */
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
    const at = new Date(now()).toISOString()
    const auth: StoredAuthorization = {
      id,
      token,
      status: 'active',
      description: String(body.description ?? ''),
      orgID: ORG_ID,
      org: org.name,
      userID: user.id,
      user: user.name,
      permissions: body.permissions as StoredAuthorization['permissions'],
      createdAt: at,
      updatedAt: at,
      links: { self: `/api/v2/authorizations/${id}`, user: `/api/v2/users/${user.id}` }
    }
    auths.set(id, auth)
    send(res, 201, auth)
  }

  function list (res: http.ServerResponse, rec: RecordedRequest): void {
    const q = rec.query
    const found = [...auths.values()].filter((a) => (!q.has('orgID') || q.get('orgID') === a.orgID) && (!q.has('org') || q.get('org') === a.org) &&
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
      const operator = token === operatorToken
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
        if (!operator) unauthorized(res, `${rec.method === 'GET' ? 'read' : 'write'}:orgs/${ORG_ID}/authorizations`)
        else if (rec.method === 'POST') body.then(() => create(res, rec)).catch(() => {})
        else if (rec.method === 'GET') list(res, rec)
        else sendError(res, 405, 'method not allowed', 'method not allowed')
        return true
      }
      if (rec.path.startsWith('/api/v2/authorizations/')) {
        const id = decodeURIComponent(rec.path.slice('/api/v2/authorizations/'.length))
        if (!operator) unauthorized(res, `write:orgs/${ORG_ID}/authorizations/${id}`)
        else if (rec.method !== 'DELETE' && rec.method !== 'GET') sendError(res, 405, 'method not allowed', 'method not allowed')
        else if (!auths.has(id)) sendError(res, 404, 'not found', 'authorization not found')
        else if (rec.method === 'GET') send(res, 200, auths.get(id))
        else { auths.delete(id); res.writeHead(204).end() }
        return true
      }
      return false
    }
  }
}
