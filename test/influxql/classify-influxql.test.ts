/**
 * The InfluxQL classifier, as a table: each query with the request's defaults, and either the statements it
 * holds (kind, the databases each reaches on InfluxDB 3, whether InfluxDB 3 runs it) or the reason the gateway
 * refuses it. The request's database is `telemetry` unless a row says otherwise.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { classifyInfluxQL, type InfluxQLDefaults } from '../../src/influxql/classify-influxql.ts'

/** One expected statement: kind, databases, runsOnV3. */
type Expected = [string, string[], boolean]

interface Row {
  query: string
  defaults?: InfluxQLDefaults
  /** The statements, or a pattern of the refusal's reason. */
  expect: Expected[] | RegExp
}

const DB = { db: 'telemetry' }
const NONE = {}

const select = (...databases: string[]): Expected => ['select', databases, true]

/** Quoting, comments and `;` in strings, identifiers, regexes and comments. */
const LEXICAL: Row[] = [
  { query: 'SELECT * FROM cpu', expect: [select('telemetry')] },
  { query: 'select * from cpu', expect: [select('telemetry')] },
  { query: 'SeLeCt "value" FrOm "cpu"', expect: [select('telemetry')] },
  { query: "SELECT * FROM cpu WHERE host = 'a;SELECT * FROM secret..m'", expect: [select('telemetry')] },
  { query: "SELECT * FROM cpu WHERE host = 'it\\'s;SELECT * FROM secret..m'", expect: [select('telemetry')] },
  { query: 'SELECT * FROM "cpu;SELECT * FROM secret..m"', expect: [select('telemetry')] },
  { query: 'SELECT * FROM "a\\"b;c"..m', expect: [select('a"b;c')] },
  { query: 'SELECT * FROM cpu WHERE host =~ /a;SELECT * FROM secret..m/', expect: [select('telemetry')] },
  { query: 'SELECT * FROM cpu WHERE host =~ /a\\/;SELECT * FROM secret..m/', expect: [select('telemetry')] },
  { query: 'SELECT * FROM cpu -- ; SELECT * FROM secret..m', expect: [select('telemetry')] },
  { query: 'SELECT * FROM cpu /* ; SELECT * FROM secret..m */', expect: [select('telemetry')] },
  { query: 'SELECT * FROM cpu -- a comment\n; SELECT * FROM secret..m', expect: [select('telemetry'), select('secret')] },
  { query: 'SELECT * FROM cpu /* ; */ ; SELECT * FROM secret..m', expect: [select('telemetry'), select('secret')] },
  { query: 'SELECT * FROM cpu;;SELECT * FROM mem;', expect: [select('telemetry'), select('telemetry')] },
  { query: 'SELECT value / 2 FROM cpu WHERE a = 4 / 2', expect: [select('telemetry')] },
  { query: 'SELECT mean(value) / 2 FROM cpu GROUP BY time(1m), /host/ fill(null) ORDER BY time DESC LIMIT 10 OFFSET 1 SLIMIT 2 SOFFSET 1 tz(\'Europe/Paris\')', expect: [select('telemetry')] },
  { query: 'SELECT count(/^v/) FROM cpu', expect: [select('telemetry')] },
  { query: 'SELECT * FROM cpu WHERE host = $host AND value::integer > 1', expect: [select('telemetry')] },
  { query: "SELECT * FROM cpu WHERE host = 'a\nb'", expect: /string that does not close/ },
  { query: "SELECT * FROM cpu WHERE host = 'a\\tb'", expect: /escape/ },
  { query: 'SELECT * FROM "cpu', expect: /identifier that does not close/ },
  { query: 'SELECT * FROM cpu /* ; SELECT * FROM secret..m', expect: /comment that does not close/ },
  { query: 'SELECT * FROM cpu WHERE host =~ /a', expect: /regular expression that does not close/ },
  { query: 'SELECT * FROM cpu WHERE host =~ /a\\\\/; SELECT * FROM secret..m; SELECT /', expect: /read differently/ },
  { query: 'SELECT * FROM cpu WHERE host = "a" # b', expect: /character InfluxQL does not use/ },
  { query: 'SELECT * FROM cpu\u00a0', expect: /character InfluxQL does not use/ },
  // A `/` after an operand divides, InfluxDB 3 reads no regex there: `*` (a wildcard), `*::field`, and a
  // keyword that is none because a carriage return follows it (not one of InfluxDB 3's keyword follow characters).
  {
    query: 'SELECT * / 2 FROM cpu;SELECT * FROM secret..m;SELECT a / (b) FROM cpu',
    expect: [select('telemetry'), select('secret'), select('telemetry')]
  },
  {
    query: 'SELECT *::field / 2 FROM cpu;SELECT * FROM secret..m;SELECT a / (b) FROM cpu',
    expect: [select('telemetry'), select('secret'), select('telemetry')]
  },
  {
    query: 'SELECT a FROM cpu WHERE b = LIMIT\r/2;SELECT * FROM secret..m;SELECT c FROM d WHERE e =~ /x/ AND f = 1',
    expect: [select('telemetry'), select('secret'), select('telemetry')]
  },
  { query: 'SELECT a * /x;SELECT * FROM secret..m;/ FROM cpu', expect: [select('telemetry')] },
  { query: 'SELECT 1FROM secret..m WHERE b = 1AND time > now() - 1h30m', expect: [select('secret')] },
  { query: 'SELECT"a" FROM cpu', expect: /statement the gateway does not know/ },
  { query: 'SELECT * FROM\r/cpu/', expect: /FROM where the gateway expects none/ },
  // InfluxDB 3 needs no `;` between statements: what could start one is never skipped as part of a clause.
  { query: 'SELECT * FROM cpu WHERE a = 1 SHOW DATABASES', expect: /SHOW where the gateway expects none/ },
  { query: 'SELECT * FROM cpu LIMIT 1 EXPLAIN SELECT * FROM secret..m', expect: /EXPLAIN where the gateway expects none/ },
  { query: 'SELECT * FROM cpu SELECT * FROM secret..m', expect: /unexpected SELECT/ },
  { query: 'SHOW TAG KEYS LIMIT 1 SHOW DATABASES', expect: /SHOW where the gateway expects none/ }
]

/** Sources: qualified names, retention policies, regexes, several sources, subqueries. */
const SOURCES: Row[] = [
  { query: 'SELECT * FROM secret..cpu', expect: [select('secret')] },
  { query: 'SELECT * FROM secret.autogen.cpu', expect: [select('secret')] },
  { query: 'SELECT * FROM "secret"."default"."cpu"', expect: [select('secret')] },
  { query: 'SELECT * FROM secret.weekly.cpu', expect: [select('secret/weekly')] },
  { query: 'SELECT * FROM "secret"."Autogen"."cpu"', expect: [select('secret/Autogen')] },
  { query: 'SELECT * FROM secret.default.cpu', expect: [select('secret')] },
  { query: 'SELECT * FROM default', expect: /expected a measurement/ },
  { query: 'SELECT * FROM "weekly"."cpu"', expect: [select('telemetry', 'telemetry/weekly')] },
  { query: 'SELECT * FROM autogen.cpu', expect: [select('telemetry')] },
  { query: 'SELECT * FROM cpu', defaults: { db: 'telemetry', rp: 'weekly' }, expect: [select('telemetry', 'telemetry/weekly')] },
  { query: 'SELECT * FROM cpu', defaults: { db: 'telemetry', rp: 'autogen' }, expect: [select('telemetry')] },
  { query: 'SELECT * FROM secret..cpu', defaults: { db: 'telemetry', rp: 'weekly' }, expect: [select('secret/weekly')] },
  { query: 'SELECT * FROM secret.daily.cpu', defaults: { db: 'telemetry', rp: 'weekly' }, expect: [select('secret/daily')] },
  { query: 'SELECT * FROM cpu', defaults: { db: '', rp: '' }, expect: /names no database/ },
  { query: 'SELECT * FROM cpu', defaults: NONE, expect: /SELECT names no database and the request gives none/ },
  { query: 'SELECT * FROM secret..cpu', defaults: NONE, expect: [select('secret')] },
  { query: 'SELECT * FROM /cpu.*/', expect: [select('telemetry')] },
  { query: 'SELECT * FROM /cpu.*/', defaults: NONE, expect: /names no database/ },
  { query: 'SELECT * FROM secret../cpu.*/', expect: [select('secret')] },
  { query: 'SELECT * FROM weekly./cpu/', expect: [select('telemetry', 'telemetry/weekly')] },
  { query: 'SELECT * FROM /secret/../cpu/', expect: /cannot resolve/ },
  { query: 'SELECT * FROM /secret/.autogen.cpu', expect: /cannot resolve/ },
  { query: 'SELECT * FROM a.b.c.d', expect: /cannot resolve/ },
  { query: 'SELECT * FROM secret .autogen.cpu', expect: /cannot resolve/ },
  { query: 'SELECT * FROM "".cpu', expect: /empty database or retention policy/ },
  { query: 'SELECT * FROM cpu, secret..mem, "other"."autogen"."disk"', expect: [select('telemetry', 'secret', 'other')] },
  { query: 'SELECT * FROM (SELECT * FROM secret..cpu)', expect: [select('secret')] },
  { query: 'SELECT max(m) FROM (SELECT mean(value) AS m FROM cpu GROUP BY time(1m)) WHERE time > now() - 1h', expect: [select('telemetry')] },
  { query: 'SELECT * FROM (SELECT * FROM (SELECT * FROM deep.weekly.cpu)), mem', expect: [select('deep/weekly', 'telemetry')] },
  { query: 'SELECT * FROM (SELECT * FROM cpu', expect: /subquery that does not close|does not close/ },
  { query: 'SELECT * FROM (SHOW DATABASES)', expect: /expected SELECT/ },
  { query: `SELECT * FROM ${'(SELECT * FROM '.repeat(40)}cpu${')'.repeat(40)}`, expect: /nested too deep/ },
  { query: 'SELECT * FROM cpu WHERE host IN (SELECT host FROM secret..m)', expect: /SELECT where the gateway expects none/ },
  { query: 'SELECT * FROM select', expect: /expected a measurement/ },
  { query: 'SELECT value', expect: /expected FROM/ },
  { query: 'SELECT * FROM cpu extra', expect: /unexpected extra/ }
]

/** Every statement kind of InfluxDB 3's parser, and InfluxDB 1.x's that it refuses. */
const KINDS: Row[] = [
  { query: 'SHOW DATABASES', expect: [['show databases', [], true]] },
  { query: 'SHOW DATABASES', defaults: NONE, expect: [['show databases', [], true]] },
  { query: 'show databases; SHOW DATABASES', expect: [['show databases', [], true], ['show databases', [], true]] },
  { query: 'SHOW DATABASES WHERE x = 1', expect: /unexpected WHERE/ },
  { query: 'SHOW MEASUREMENTS', expect: [['show measurements', ['telemetry'], true]] },
  { query: 'SHOW MEASUREMENTS ON secret', expect: [['show measurements', ['secret'], true]] },
  { query: 'SHOW MEASUREMENTS ON secret.weekly', expect: [['show measurements', ['secret/weekly'], true]] },
  { query: 'SHOW MEASUREMENTS ON "secret"."autogen" WITH MEASUREMENT =~ /cpu.*/ WHERE host = \'a\' LIMIT 5 OFFSET 1', expect: [['show measurements', ['secret'], true]] },
  { query: 'SHOW MEASUREMENTS WITH MEASUREMENT = other..cpu', expect: [['show measurements', ['telemetry', 'other'], true]] },
  { query: 'SHOW MEASUREMENTS ON *', expect: /every database/ },
  { query: 'SHOW MEASUREMENTS ON *.*', expect: /every database/ },
  { query: 'SHOW MEASUREMENTS', defaults: NONE, expect: /names no database/ },
  { query: 'SHOW TAG KEYS', expect: [['show tag keys', ['telemetry'], true]] },
  { query: 'SHOW TAG KEYS ON secret FROM cpu, /mem/ WHERE host = \'a\' LIMIT 1 OFFSET 1', expect: [['show tag keys', ['secret'], true]] },
  { query: 'SHOW TAG KEYS FROM other.weekly.cpu', expect: [['show tag keys', ['telemetry', 'other/weekly'], true]] },
  { query: 'SHOW TAG KEYS ON secret.weekly', expect: /cannot resolve after ON/ },
  { query: 'SHOW TAG VALUES WITH KEY = host', expect: [['show tag values', ['telemetry'], true]] },
  { query: 'SHOW TAG VALUES ON secret FROM cpu WITH KEY =~ /ho;st/ WHERE region = \'eu\'', expect: [['show tag values', ['secret'], true]] },
  { query: 'SHOW TAG VALUES ON secret WITH KEY IN ("host", "region")', expect: [['show tag values', ['secret'], true]] },
  { query: 'SHOW FIELD KEYS', expect: [['show field keys', ['telemetry'], true]] },
  { query: 'SHOW FIELD KEYS ON "secret" FROM "cpu"', expect: [['show field keys', ['secret'], true]] },
  { query: 'SHOW RETENTION POLICIES', expect: [['show retention policies', ['telemetry'], true]] },
  { query: 'SHOW RETENTION POLICIES ON secret', expect: [['show retention policies', ['secret'], true]] },
  { query: 'SHOW RETENTION POLICIES', defaults: NONE, expect: /names no database/ },
  { query: 'EXPLAIN SELECT * FROM secret..cpu', expect: [['explain', ['secret'], true]] },
  { query: 'EXPLAIN ANALYZE SELECT * FROM cpu', expect: [['explain', ['telemetry'], true]] },
  { query: 'explain analyze verbose select * from cpu', expect: [['explain', ['telemetry'], true]] },
  { query: 'EXPLAIN VERBOSE SHOW TAG KEYS ON secret', expect: [['explain', ['secret'], true]] },
  { query: 'EXPLAIN SHOW DATABASES', expect: [['explain', ['telemetry'], false]] },
  { query: 'EXPLAIN CREATE DATABASE x', expect: [['explain', ['x'], false]] },
  { query: 'SELECT * INTO other..copy FROM cpu', expect: [['select into', ['telemetry', 'other'], false]] },
  { query: 'SELECT * INTO other.autogen.:MEASUREMENT FROM /.*/ GROUP BY *', expect: [['select into', ['telemetry', 'other'], false]] },
  { query: 'CREATE DATABASE fresh', expect: [['create database', ['fresh'], false]] },
  { query: 'CREATE DATABASE fresh WITH DURATION 1d REPLICATION 1 NAME weekly', expect: [['create database', ['fresh'], false]] },
  { query: 'DROP MEASUREMENT cpu', expect: [['drop measurement', ['telemetry'], false]] },
  { query: 'DELETE FROM cpu WHERE time < now() - 1d', expect: [['delete', ['telemetry'], false]] },
  { query: 'DELETE FROM secret..cpu', defaults: NONE, expect: [['delete', ['secret'], false]] },
  { query: 'DELETE WHERE host = \'a\'', defaults: NONE, expect: [['delete', [], false]] },
  { query: 'SHOW SERIES ON secret FROM cpu WHERE host = \'a\'', expect: [['show series', ['secret'], false]] },
  { query: 'DROP DATABASE telemetry', expect: [['drop database', [], false]] },
  { query: 'DROP SERIES FROM cpu WHERE host = \'a\'', expect: [['drop series', [], false]] },
  { query: 'CREATE USER eve WITH PASSWORD \'x;y\' WITH ALL PRIVILEGES', expect: [['create user', [], false]] },
  { query: 'GRANT ALL ON secret TO eve', expect: [['grant', [], false]] },
  { query: 'REVOKE READ ON secret FROM eve', expect: [['revoke', [], false]] },
  { query: 'SET PASSWORD FOR eve = \'x\'', expect: [['set password', [], false]] },
  { query: 'ALTER RETENTION POLICY autogen ON telemetry DURATION 1d', expect: [['alter retention policy', [], false]] },
  { query: 'CREATE RETENTION POLICY weekly ON telemetry DURATION 7d REPLICATION 1', expect: [['create retention policy', [], false]] },
  { query: 'CREATE CONTINUOUS QUERY cq ON telemetry BEGIN SELECT mean(v) INTO m2 FROM m GROUP BY time(1h) END', expect: [['create continuous query', [], false]] },
  { query: 'KILL QUERY 12', expect: [['kill query', [], false]] },
  { query: 'SHOW USERS', expect: [['show users', [], false]] },
  { query: 'SHOW GRANTS FOR eve', expect: [['show grants', [], false]] },
  { query: 'SHOW QUERIES', expect: [['show queries', [], false]] },
  { query: 'SHOW TAG VALUES CARDINALITY WITH KEY = host', expect: [['show tag values cardinality', [], false]] },
  { query: 'SHOW SERIES EXACT CARDINALITY ON secret', expect: [['show series exact cardinality', [], false]] },
  { query: 'SHOW SHARD GROUPS', expect: [['show shard groups', [], false]] },
  { query: 'SHOW DIAGNOSTICS', expect: [['show diagnostics', [], false]] },
  { query: 'SELECT * FROM cpu; DROP DATABASE telemetry', expect: [select('telemetry'), ['drop database', [], false]] },
  { query: 'SHOW CLUSTER', expect: /SHOW statement the gateway does not know/ },
  { query: 'INSERT cpu value=1', expect: /statement the gateway does not know/ },
  { query: 'UPDATE cpu SET x = 1', expect: /statement the gateway does not know/ },
  { query: 'WITH x AS (SELECT 1) SELECT * FROM x', expect: /statement the gateway does not know/ },
  { query: '', expect: /no statement/ },
  { query: ' ; -- only a comment\n/* and another */ ;', expect: /no statement/ }
]

const ROWS = [...LEXICAL, ...SOURCES, ...KINDS]

test(`the classifier's table: ${ROWS.length} queries`, async (t) => {
  assert.ok(ROWS.length >= 60)
  for (const { query, defaults = DB, expect } of ROWS) {
    await t.test(JSON.stringify(query).slice(0, 100), () => {
      const got = classifyInfluxQL(query, defaults)
      if (expect instanceof RegExp) {
        assert.equal(got.ok, false, `${query} → ${JSON.stringify(got)}`)
        if (!got.ok) assert.match(got.reason, expect, query)
      } else {
        assert.deepEqual(got, {
          ok: true,
          statements: expect.map(([kind, databases, runsOnV3]) => ({ kind, databases, runsOnV3 }))
        }, query)
      }
    })
  }
})

test('a statement that does not run on InfluxDB 3 is classified whatever else the query holds', () => {
  const got = classifyInfluxQL('SELECT * FROM secret..cpu; GRANT ALL TO eve', DB)
  assert.deepEqual(got.ok && got.statements.map((s) => s.runsOnV3), [true, false])
})
