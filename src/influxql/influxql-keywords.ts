/**
 * The words InfluxDB 3's InfluxQL parser reserves (`influxdb_influxql_parser` `keywords.rs`): none of them is
 * an identifier unless double-quoted. The classifier uses the same list, so that it reads a word as a keyword
 * exactly where InfluxDB 3 does.
 * @packageDocumentation
 */

/** InfluxDB 3's reserved words, upper-case. */
export const KEYWORDS: ReadonlySet<string> = new Set([
  'ALL', 'ALTER', 'ANALYZE', 'AND', 'ANY', 'AS', 'ASC', 'BEGIN', 'BY', 'CARDINALITY', 'CREATE', 'CONTINUOUS',
  'DATABASE', 'DATABASES', 'DEFAULT', 'DELETE', 'DESC', 'DESTINATIONS', 'DIAGNOSTICS', 'DISTINCT', 'DROP',
  'DURATION', 'END', 'EVERY', 'EXACT', 'EXPLAIN', 'FIELD', 'FOR', 'FROM', 'GRANT', 'GRANTS', 'GROUP', 'GROUPS',
  'IN', 'INF', 'INSERT', 'INTO', 'KEY', 'KEYS', 'KILL', 'LIMIT', 'MEASUREMENT', 'MEASUREMENTS', 'NAME', 'OFFSET',
  'OR', 'ON', 'ORDER', 'PASSWORD', 'POLICY', 'POLICIES', 'PRIVILEGES', 'QUERIES', 'QUERY', 'READ', 'REPLICATION',
  'RESAMPLE', 'RETENTION', 'REVOKE', 'SELECT', 'SERIES', 'SET', 'SHOW', 'SHARD', 'SHARDS', 'SLIMIT', 'SOFFSET',
  'STATS', 'SUBSCRIPTION', 'SUBSCRIPTIONS', 'TAG', 'TO', 'USER', 'USERS', 'VALUES', 'WHERE', 'WITH', 'WRITE'
])

/** True when `word` (any case) is one of InfluxDB 3's reserved words. */
export function isKeyword (word: string): boolean {
  return KEYWORDS.has(word.toUpperCase())
}

/**
 * Statements of InfluxDB 1.x that InfluxDB 3 does not run (its parser knows none of them, or it refuses to
 * plan them), by their leading words. The classifier names their kind and says they do not run; it reads no
 * further into them, so their databases are not listed.
 */
export const REFUSED_KINDS: readonly string[] = [
  'alter retention policy', 'create continuous query', 'create retention policy', 'create subscription',
  'create user', 'drop continuous query', 'drop database', 'drop retention policy', 'drop series', 'drop shard',
  'drop subscription', 'drop user', 'grant', 'kill query', 'revoke', 'set password',
  'show continuous queries', 'show diagnostics', 'show field key cardinality', 'show field key exact cardinality',
  'show grants', 'show measurement cardinality', 'show measurement exact cardinality', 'show queries',
  'show series cardinality', 'show series exact cardinality', 'show shard groups', 'show shards', 'show stats',
  'show subscriptions', 'show tag key cardinality', 'show tag key exact cardinality',
  'show tag values cardinality', 'show tag values exact cardinality', 'show users'
]
