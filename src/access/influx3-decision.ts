import type { DatabaseScope } from '../auth/database-scope.ts'
import type { Influx3Route } from '../influx3/influx3-route.ts'
import type { Influx3Target } from '../influx3/influx3-target.ts'

/** Whether an identity's InfluxDB 3 scope allows a request, and how its answer is to be filtered. */
export type Influx3Decision =
  | { allowed: true, showDatabases?: (database: string) => boolean }
  | { allowed: false, reason: string }

const ALLOWED: Influx3Decision = { allowed: true }

/**
 * The database rules, as a function: administration needs `admin: true`; health any scope; a write needs
 * write on its database; a query read on every database it reaches, and `SHOW DATABASES` lists only the
 * readable ones. No scope (a rule naming neither `databases:` nor `admin:`) grants nothing.
 */
export function influx3Decision (scope: DatabaseScope | undefined, route: Influx3Route, target?: Influx3Target): Influx3Decision {
  if (scope === undefined) return { allowed: false, reason: 'no InfluxDB 3 access is granted to this user (its rule names no databases)' }
  if (route.kind === 'health') return ALLOWED
  if (route.kind === 'admin') {
    return scope.admin ? ALLOWED : { allowed: false, reason: 'InfluxDB 3 administration is not granted to this user' }
  }
  if (target === undefined) return { allowed: false, reason: 'the request names no database' }
  if (!target.ok) return { allowed: false, reason: target.reason }
  const may = target.access === 'write' ? scope.canWrite : scope.canRead
  const refused = target.databases.find((db) => !may(db))
  if (refused !== undefined) return { allowed: false, reason: `no ${target.access} access to database "${refused}"` }
  return target.access === 'read' && target.showDatabases ? { allowed: true, showDatabases: scope.canRead } : ALLOWED
}
