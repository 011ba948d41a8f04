/** What an identity may do in InfluxDB 3, as its access rule (or its own user entry) says. */
export interface DatabaseScope {
  /** May query this database (a name as InfluxDB 3 resolves it: `<db>` or `<db>/<rp>`). */
  canRead (database: string): boolean
  /** May write to this database. */
  canWrite (database: string): boolean
  /** May use InfluxDB 3's administration routes. */
  admin: boolean
}

/** The configured shape: name or glob lists, and the admin flag. */
export interface DatabaseScopeConfig { databases?: { read: string[], write: string[] }, admin?: boolean }

/**
 * Compiles a rule's `databases:` and `admin:` (undefined when it has neither). `*` stands for any run of
 * characters but never reaches into a place the operator did not write: `_internal` (InfluxDB 3's system
 * database) and `<db>/<rp>` databases (a retention policy other than autogen makes another database) are
 * matched only by a pattern that itself names `_internal` or holds a `/`.
 */
export function compileDatabaseScope (config: DatabaseScopeConfig): DatabaseScope | undefined {
  if (config.databases === undefined && config.admin === undefined) return undefined
  const read = matcher(config.databases?.read ?? [])
  const write = matcher(config.databases?.write ?? [])
  return { canRead: read, canWrite: write, admin: config.admin === true }
}

function matcher (patterns: string[]): (database: string) => boolean {
  const exact = new Set(patterns.filter((p) => !p.includes('*')))
  const globs = patterns.filter((p) => p.includes('*')).map(globOf)
  return (database) => exact.has(database) || globs.some((g) => g(database))
}

function globOf (pattern: string): (database: string) => boolean {
  const body = pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('.*')
  const re = new RegExp(`^${body}$`, 's')
  const namesInternal = pattern.startsWith('_internal')
  const namesRetention = pattern.includes('/')
  return (database) => {
    // SECURITY: a glob written for user databases must not grant the system database or another retention policy's data.
    if (database === '_internal' && !namesInternal) return false
    if (database.includes('/') && !namesRetention) return false
    return re.test(database)
  }
}
