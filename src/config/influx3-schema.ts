import { z } from 'zod'
import { boolean } from './schema-types.ts'

/**
 * A database name or glob: `*` stands for any run of characters. A glob never matches `_internal` or a
 * `<db>/<rp>` database unless it is written so (src/auth/database-scope.ts).
 */
const databasePattern = z.string().min(1).max(256).regex(/^[^\s,]+$/, 'a database name or glob, without spaces or commas')
  .meta({ type: 'database or glob' })

/** What an access rule or a file user may do in InfluxDB 3, enforced by the gateway. */
export const databaseScopeFields = {
  databases: z.object({
    read: z.array(databasePattern).default([])
      .describe('Databases (names or globs: `lab_*`) it may query, every statement and every database a statement reaches.'),
    write: z.array(databasePattern).default([]).describe('Databases (names or globs) it may write to.')
  }).strict().optional()
    .describe('InfluxDB 3: the databases it may read and write, enforced by the gateway on every write and query route. ' +
      'A glob never matches `_internal` or a `<db>/<rp>` database unless written so.'),
  admin: boolean.optional()
    .describe('InfluxDB 3: may use the administration routes (configure, plugins, tokens…); off unless written. ' +
      'Creating or regenerating the admin token is never forwarded, for anyone.')
}

interface ScopedEntry { databases?: unknown, admin?: unknown, groups?: unknown, mint?: { org?: unknown, permissions?: unknown } }

/**
 * `databases:` and `admin:` are InfluxDB 3's: with `upstream.version` 1 or 2 they are an error. With 3, a
 * rule (or a file user with a credential of its own) that names neither grants nothing, and is an error.
 */
export function checkInflux3Rules (
  config: { access?: unknown, users?: unknown, upstream?: { version?: unknown } }, ctx: z.RefinementCtx
): void {
  const version = String(config.upstream?.version ?? 'auto')
  const entries: Array<[string, number, ScopedEntry]> = [
    ...listOf(config.access).map((r, i): [string, number, ScopedEntry] => ['access', i, r]),
    ...listOf(config.users).map((u, i): [string, number, ScopedEntry] => ['users', i, u]).filter(([,, u]) => u.groups === undefined)
  ]
  for (const [section, i, entry] of entries) {
    const scoped = entry.databases !== undefined || entry.admin !== undefined
    if (scoped && (version === '1' || version === '2')) {
      const key = entry.databases !== undefined ? 'databases' : 'admin'
      ctx.addIssue({ code: 'custom', path: [section, i, key], message: `InfluxDB 3 only: upstream.version is ${version}` })
    }
    if (!scoped && version === '3') {
      const message = 'grants nothing in front of InfluxDB 3: add databases: { read: [...], write: [...] } or admin: true'
      ctx.addIssue({ code: 'custom', path: [section, i], message })
    }
    checkMintShape(version, [section, i], entry, ctx)
  }
}

/**
 * `mint: {}` is InfluxDB 3's (its token is minted from `databases:`), `mint: { org, permissions }` InfluxDB 2's:
 * each is an error with the other version, and `mint: {}` needs `databases:` or `admin:` to mint from.
 */
function checkMintShape (version: string, at: [string, number], entry: ScopedEntry, ctx: z.RefinementCtx): void {
  const mint = entry.mint
  if (typeof mint !== 'object' || mint === null) return
  const path = [...at, 'mint']
  const v2Shaped = mint.org !== undefined || mint.permissions !== undefined
  if (v2Shaped && version === '3') {
    const message = 'org and permissions are InfluxDB 2\'s: in front of InfluxDB 3 write mint: {} (the token gets the rule\'s databases:)'
    ctx.addIssue({ code: 'custom', path, message })
  }
  if (v2Shaped) return
  if (version === '1' || version === '2') {
    const message = `mint: {} is InfluxDB 3's: upstream.version is ${version} (InfluxDB 2: mint: { org, permissions })`
    ctx.addIssue({ code: 'custom', path, message })
  } else if (entry.databases === undefined && entry.admin === undefined && version !== '3') {
    const message = 'mint: {} mints from the rule\'s databases: add databases: { read: [...], write: [...] }'
    ctx.addIssue({ code: 'custom', path, message })
  }
}

function listOf (value: unknown): ScopedEntry[] {
  return Array.isArray(value) ? value.filter((e): e is ScopedEntry => typeof e === 'object' && e !== null) : []
}
