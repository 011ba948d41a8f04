/**
 * The InfluxDB 3 double's token routes (influxdata/influxdb `influxdb3_server/src/http.rs`:
 * `create_admin_token`, `regenerate_admin_token`, `create_named_admin_token`, `delete_token`, `read_body_json`;
 * `influxdb3_types/src/http.rs` `CreateTokenWithPermissionsResponse`), plus Enterprise's
 * `POST /api/v3/enterprise/configure/token` (its handler is not public: the double answers it as the catalog's
 * `create_token_with_permission` and the shared response type would).
 * @packageDocumentation
 */
import { failText, okEmpty, okJson, type Influx3Call, type Reply } from './fake-influx3-http.ts'
import type { Influx3Permission, Influx3Token, Influx3Tokens, TokenRefusal } from './fake-influx3-tokens.ts'

/** The token route paths. */
export const TOKEN_PATHS = {
  admin: '/api/v3/configure/token/admin',
  regenerate: '/api/v3/configure/token/admin/regenerate',
  namedAdmin: '/api/v3/configure/token/named_admin',
  delete: '/api/v3/configure/token',
  resource: '/api/v3/enterprise/configure/token'
} as const

/** A created token as InfluxDB 3 answers it: 201, `Content-Type: json` (sic, `http.rs`). */
function created (t: Influx3Token | TokenRefusal): Reply {
  if ('status' in t) return failText(t.status, t.message)
  return okJson(201, {
    id: t.id,
    name: t.name,
    token: t.secret,
    hash: t.hash,
    created_at: new Date(t.createdAt).toISOString(),
    expiry: t.expiry === undefined ? null : new Date(t.expiry).toISOString()
  }, 'json')
}

/** `read_body_json`: an `application/json` (or `+json`) content type, then a JSON object. */
function jsonBody (call: Influx3Call): Record<string, unknown> | Reply {
  const mime = (call.rec.contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  if (mime !== 'application/json' && !/^application\/[^/]+\+json$/.test(mime)) return failText(400, 'invalid content type, expected application/json')
  try {
    const value: unknown = JSON.parse(call.rec.body.toString('utf8'))
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>
  } catch {}
  return failText(400, 'invalid JSON body')
}

const optionalSecs = (v: unknown): number | undefined | null =>
  v === undefined || v === null ? undefined : Number.isSafeInteger(v) && (v as number) >= 0 ? v as number : null

function namedAdmin (call: Influx3Call, tokens: Influx3Tokens): Reply {
  const body = jsonBody(call)
  if ('status' in body) return body as Reply
  const secs = optionalSecs(body.expiry_secs)
  if (typeof body.token_name !== 'string' || secs === null) return failText(400, 'invalid token request')
  return created(tokens.createNamedAdmin(body.token_name, secs))
}

function isPermissionList (v: unknown): v is Influx3Permission[] {
  const strings = (x: unknown): boolean => Array.isArray(x) && x.every((s) => typeof s === 'string')
  return Array.isArray(v) && v.every((p) => p !== null && typeof p === 'object' &&
    typeof (p as Influx3Permission).resource_type === 'string' && strings((p as Influx3Permission).resource_names) && strings((p as Influx3Permission).actions))
}

function resourceToken (call: Influx3Call, tokens: Influx3Tokens, databases: string[]): Reply {
  const body = jsonBody(call)
  if ('status' in body) return body as Reply
  const secs = optionalSecs(body.expiry_secs)
  if (typeof body.token_name !== 'string' || !isPermissionList(body.permissions) || secs === null) return failText(400, 'invalid token request')
  return created(tokens.createResource(body.token_name, body.permissions, secs, databases))
}

/**
 * Answers the token routes; undefined for other paths. `isEnterprise` enables resource tokens (Core answers
 * their path 404, as any unknown path).
 */
export function routeTokens (call: Influx3Call, tokens: Influx3Tokens, isEnterprise: boolean, databases: () => string[]): Reply | undefined {
  const { method, path, query } = call.rec
  if (method === 'POST' && path === TOKEN_PATHS.admin) return created(tokens.createAdmin())
  if (method === 'POST' && path === TOKEN_PATHS.regenerate) return created(tokens.regenerateAdmin())
  if (method === 'POST' && path === TOKEN_PATHS.namedAdmin) return namedAdmin(call, tokens)
  if (method === 'POST' && path === TOKEN_PATHS.resource && isEnterprise) return resourceToken(call, tokens, databases())
  if (method === 'DELETE' && path === TOKEN_PATHS.delete) {
    const name = query.get('token_name')
    if (name === null) return failText(400, 'missing field `token_name`')
    const refused = tokens.delete(name)
    return refused === undefined ? okEmpty() : failText(refused.status, refused.message)
  }
  return undefined
}
