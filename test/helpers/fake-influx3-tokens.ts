/**
 * The InfluxDB 3 double's tokens, as InfluxDB 3's catalog keeps them (influxdata/influxdb
 * `influxdb3_catalog/src/catalog/versions/v2.rs` and `…/v2/enterprise.rs`, `influxdb3_catalog/src/error.rs`,
 * `influxdb3_system_tables/src/tokens.rs`): the operator's `_admin` token (created once, unauthenticated;
 * regenerated in place), named admin tokens, Enterprise's resource tokens (database names or `*`, which must
 * exist), names unique, expiry from an injected clock, deletion by name (never `_admin`), and the rows of
 * `system.tokens`.
 * @packageDocumentation
 */
import { createHash, randomBytes } from 'node:crypto'
import { recordSecret } from './secret-ledger.ts'

/** One permission of a resource token, as the Enterprise API takes it. */
export interface Influx3Permission { resource_type: string, resource_names: string[], actions: string[] }

/** One token the double knows. `secret` is what a client presents. */
export interface Influx3Token {
  id: number
  name: string
  secret: string
  /** Hex sha512 of the secret (InfluxDB 3 keeps only a hash). */
  hash: string
  createdAt: number
  updatedAt: number | undefined
  /** Epoch ms; undefined: never expires. */
  expiry: number | undefined
  /** `admin` for the operator's and named admin tokens; else the resource permissions. */
  permissions: 'admin' | Influx3Permission[]
}

/** Why a token operation was refused: InfluxDB 3's catalog error and the status it answers. */
export interface TokenRefusal { status: number, message: string }

/** The token store of the double. */
export interface Influx3Tokens {
  /** The live (unexpired) token presented as `secret`. */
  authenticate (secret: string): Influx3Token | undefined
  /** Whether `token` may `action` on database `db`: admin tokens anything, resource tokens what they name. */
  can (token: Influx3Token, action: 'read' | 'write', db: string): boolean
  createAdmin (): Influx3Token | TokenRefusal
  regenerateAdmin (): Influx3Token | TokenRefusal
  createNamedAdmin (name: string, expirySecs: number | undefined): Influx3Token | TokenRefusal
  createResource (name: string, permissions: Influx3Permission[], expirySecs: number | undefined, databases: string[]): Influx3Token | TokenRefusal
  delete (name: string): TokenRefusal | undefined
  /** Every stored token, expired ones included (InfluxDB 3 keeps them until deleted). */
  all (): Influx3Token[]
  /** The rows of `_internal`'s `system.tokens`, every column, as InfluxDB 3 returns them as JSON. */
  systemRows (): Array<Record<string, unknown>>
}

/** The operator's token name (influxdb3_catalog `DEFAULT_OPERATOR_TOKEN_NAME`). */
export const ADMIN_TOKEN_NAME = '_admin'

/** A fresh token as InfluxDB 3 mints them (`apiv3_` and random base64url). */
export function newInflux3Secret (): string {
  return `apiv3_${randomBytes(48).toString('base64url')}`
}

/** A timestamp as arrow-json writes a `Timestamp(Millisecond, None)`: naive ISO time, the fraction only when not zero. */
export function arrowTimestamp (ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '').replace(/\.000$/, '')
}

/** InfluxDB 3's text of a permission list in `system.tokens` (`db:a,b:read,write`; `*:*:*` for admin tokens). */
function permissionText (t: Influx3Token): string {
  if (t.permissions === 'admin') return '*:*:*'
  return t.permissions.map((p) => `${p.resource_type}:${p.resource_names.join(',')}:${p.actions.join(',')}`).join(' ')
}

const exists = (name: string): TokenRefusal => ({ status: 409, message: `token name already exists, ${name}` })

/** The store; `operatorToken` (if any) is `_admin`'s secret at start. */
export function createInflux3Tokens (opts: { operatorToken: string | undefined, now: () => number }): Influx3Tokens {
  const tokens = new Map<string, Influx3Token>()
  let nextId = 0
  const store = (name: string, expirySecs: number | undefined, permissions: Influx3Token['permissions'], secret = newInflux3Secret()): Influx3Token => {
    recordSecret(secret, name === ADMIN_TOKEN_NAME ? 'operator-token' : 'minted-token')
    const createdAt = opts.now()
    const t: Influx3Token = {
      id: nextId++,
      name,
      secret,
      hash: createHash('sha512').update(secret).digest('hex'),
      createdAt,
      updatedAt: undefined,
      expiry: expirySecs === undefined ? undefined : createdAt + expirySecs * 1000,
      permissions
    }
    tokens.set(name, t)
    return t
  }
  if (opts.operatorToken !== undefined) store(ADMIN_TOKEN_NAME, undefined, 'admin', opts.operatorToken)

  const badPermissions = (permissions: Influx3Permission[], databases: string[]): string | undefined => {
    for (const p of permissions) {
      if (p.resource_type === '*') return 'cannot parse token permission, * resource type can only be set for admin token'
      if (p.resource_type !== 'db' && p.resource_type !== 'system') return `cannot parse token permission, resource type not supported ${p.resource_type}`
      if (p.resource_names.includes('*') && p.resource_names.length > 1) return 'cannot parse token permission, mixed wildcard (*) and resource name'
      const unknown = p.resource_type === 'db' ? p.resource_names.find((n) => n !== '*' && !databases.includes(n)) : undefined
      if (unknown !== undefined) return `cannot parse token permission, invalid resource name ${unknown}`
      const action = p.actions.find((a) => !['read', 'write', '*'].includes(a))
      if (action !== undefined) return `cannot parse token permission, action not supported, ${action}`
    }
    return undefined
  }

  return {
    authenticate (secret) {
      const t = [...tokens.values()].find((x) => x.secret === secret)
      return t !== undefined && (t.expiry === undefined || t.expiry > opts.now()) ? t : undefined
    },
    can: (t, action, db) => t.permissions === 'admin' || t.permissions.some((p) => p.resource_type === 'db' &&
      (p.resource_names.includes('*') || p.resource_names.includes(db)) && (p.actions.includes(action) || p.actions.includes('*'))),
    createAdmin: () => tokens.has(ADMIN_TOKEN_NAME) ? exists(ADMIN_TOKEN_NAME) : store(ADMIN_TOKEN_NAME, undefined, 'admin'),
    regenerateAdmin () {
      const admin = tokens.get(ADMIN_TOKEN_NAME)
      if (admin === undefined) return { status: 500, message: 'missing admin token, cannot update' }
      admin.secret = newInflux3Secret()
      recordSecret(admin.secret, 'operator-token')
      admin.hash = createHash('sha512').update(admin.secret).digest('hex')
      admin.updatedAt = opts.now()
      return admin
    },
    createNamedAdmin: (name, expirySecs) => tokens.has(name) ? exists(name) : store(name, expirySecs, 'admin'),
    createResource (name, permissions, expirySecs, databases) {
      if (tokens.has(name)) return exists(name)
      const bad = badPermissions(permissions, databases)
      return bad === undefined ? store(name, expirySecs, permissions) : { status: 500, message: bad }
    },
    delete (name) {
      if (name === ADMIN_TOKEN_NAME) return { status: 405, message: 'cannot delete operator token' }
      if (!tokens.delete(name)) return { status: 404, message: `not found: ${name}` }
      return undefined
    },
    all: () => [...tokens.values()],
    // arrow-json leaves out null values: a token without expiry has no `expiry` key.
    systemRows: () => [...tokens.values()].map((t) => ({
      token_id: t.id,
      name: t.name,
      hash: t.hash.slice(0, 9),
      created_at: arrowTimestamp(t.createdAt),
      ...(t.updatedAt === undefined ? {} : { updated_at: arrowTimestamp(t.updatedAt) }),
      ...(t.expiry === undefined ? {} : { expiry: arrowTimestamp(t.expiry) }),
      permissions: permissionText(t)
    }))
  }
}
