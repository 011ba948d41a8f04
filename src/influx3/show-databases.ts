/**
 * Filters InfluxDB 3's answer to `SHOW DATABASES` down to the databases `readable` says, in the two JSON
 * shapes it answers in: the v1 `/query` shape (`results[].series[].values[][0]`) and `/api/v3/query_influxql`'s
 * JSON rows (`[{"iox::measurement": "databases", "name": …}]`). Anything else that claims success is replaced
 * by an error: a list the gateway cannot filter is never passed on.
 */
export function filterShowDatabases (status: number, body: Buffer, readable: (database: string) => boolean): Buffer {
  if (status < 200 || status >= 300) return body
  let parsed: unknown
  try {
    parsed = JSON.parse(body.toString('utf8'))
  } catch {
    return UNFILTERABLE
  }
  if (Array.isArray(parsed)) {
    return json(parsed.filter((row) => readable(String((row as Record<string, unknown> | null)?.['iox::database']))))
  }
  const results = (parsed as { results?: unknown } | null)?.results
  if (!Array.isArray(results)) return UNFILTERABLE
  for (const result of results) {
    for (const series of (result as { series?: unknown[] } | null)?.series ?? []) {
      const s = series as { values?: unknown[][] }
      if (Array.isArray(s.values)) s.values = s.values.filter((v) => Array.isArray(v) && readable(String(v[0])))
    }
  }
  return json(parsed)
}

const UNFILTERABLE = Buffer.from(JSON.stringify({ error: 'the gateway could not read InfluxDB\'s database list to filter it' }))

function json (value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value))
}
