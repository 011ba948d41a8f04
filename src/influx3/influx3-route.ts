/** What an InfluxDB 3 route does, for the rules the gateway enforces in front of it. */
export type Influx3Route =
  /** A write: `/api/v3/write_lp?db=`, `/api/v2/write?bucket=`, `/write?db=&rp=`. */
  | { kind: 'write', api: 'v3' | 'v2' | 'v1' }
  /** A query: SQL (`/api/v3/query_sql`) or InfluxQL (`/api/v3/query_influxql`, `/query`). */
  | { kind: 'query', language: 'sql' | 'influxql', api: 'v3' | 'v1' }
  /** `/health`, `/api/v1/health`, `/ping`, `/metrics`: InfluxDB 3 wants a token there; any granted identity may. */
  | { kind: 'health' }
  /** Everything else: configure, enterprise, engine, plugins, users, roles, export, import, `/debug/pprof/*`, anything new. */
  | { kind: 'admin' }

const ROUTES: ReadonlyMap<string, Influx3Route> = new Map<string, Influx3Route>([
  ['/api/v3/write_lp', { kind: 'write', api: 'v3' }],
  ['/api/v2/write', { kind: 'write', api: 'v2' }],
  ['/write', { kind: 'write', api: 'v1' }],
  ['/api/v3/query_sql', { kind: 'query', language: 'sql', api: 'v3' }],
  ['/api/v3/query_influxql', { kind: 'query', language: 'influxql', api: 'v3' }],
  ['/query', { kind: 'query', language: 'influxql', api: 'v1' }],
  ['/health', { kind: 'health' }],
  ['/api/v1/health', { kind: 'health' }],
  ['/ping', { kind: 'health' }],
  ['/metrics', { kind: 'health' }]
])

const ADMIN: Influx3Route = { kind: 'admin' }

/**
 * The class of an InfluxDB 3 route, by its canonical path (InfluxDB 3 routes on exact paths, whatever the
 * method): a route the gateway does not know is administration, so a new InfluxDB route is closed until a
 * rule says `admin: true`.
 */
export function influx3Route (path: string): Influx3Route {
  return ROUTES.get(path) ?? ADMIN
}
