/**
 * The classifier's source extraction against the real InfluxDB 1.6.7 (Debian's influxd, auth on), where the
 * grammar is shared with 1.x: a non-admin user may READ `readable` only, and each read statement below is sent
 * as that user with `db=readable`. influxd must refuse (403, "requires READ on <db>") exactly the statements the
 * classifier says reach another database, naming one of them, and must run the others. InfluxDB 1.x has no
 * `<db>/<rp>` databases, so the classifier's `db/rp` counts as `db` here.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { classifyInfluxQL } from '../../src/influxql/classify-influxql.ts'
import { requireBinary } from '../helpers/binaries.ts'
import { startInfluxd } from '../helpers/influxd.ts'
import { recordSecret } from '../helpers/secret-ledger.ts'

const binary = requireBinary('influxd', 'influxdb', 'InfluxQL classifier cross-check against real InfluxDB 1.x')

const READABLE = 'readable'
const READER_PW = randomBytes(12).toString('hex')

/** Read statements in the grammar InfluxDB 1.6 and 3 share: quoting, comments, sources, subqueries, SHOW. */
const STATEMENTS = [
  'SELECT * FROM cpu',
  "select * from cpu where host = 'a;SELECT * FROM other..cpu'",
  "SELECT * FROM cpu WHERE host = 'it\\'s;SELECT * FROM other..cpu'",
  'SELECT * FROM "cpu;SELECT * FROM other..cpu"',
  'SELECT * FROM cpu -- ; SELECT * FROM other..cpu',
  'SELECT * FROM cpu -- a comment\n; SELECT * FROM other..cpu',
  'SELECT * FROM cpu WHERE host =~ /a\\/;SELECT * FROM other..m/',
  'SELECT * FROM other..cpu',
  'SeLeCt * FrOm "other"."autogen"."cpu"',
  'SELECT * FROM other.weekly.cpu',
  'SELECT * FROM readable.autogen.cpu',
  'SELECT * FROM "weekly"."cpu"',
  'SELECT * FROM "a\\"b;c"..m',
  'SELECT * FROM readable..cpu, other..cpu',
  'SELECT * FROM cpu, mem, /disk.*/',
  'SELECT * FROM /cpu.*/',
  'SELECT * FROM other../cpu.*/',
  'SELECT * FROM (SELECT * FROM other..cpu)',
  'SELECT max(m) FROM (SELECT mean(value) AS m FROM cpu GROUP BY time(1m))',
  'SELECT * FROM (SELECT * FROM (SELECT * FROM other.weekly.cpu)), cpu',
  'SELECT * FROM cpu; SELECT * FROM other..mem',
  'SELECT mean(value) / 2 FROM cpu WHERE value > 4 / 2 AND time > now() - 1h GROUP BY time(1m), /host/ fill(null) LIMIT 10 SLIMIT 2',
  'SELECT count(/^v/) FROM cpu',
  'EXPLAIN SELECT * FROM other..cpu',
  'EXPLAIN ANALYZE SELECT * FROM cpu',
  'SHOW DATABASES',
  'SHOW MEASUREMENTS',
  'SHOW MEASUREMENTS ON other',
  'SHOW MEASUREMENTS ON "readable" WITH MEASUREMENT =~ /cp;u/ LIMIT 5',
  'SHOW TAG KEYS FROM cpu',
  'SHOW TAG KEYS ON other FROM cpu',
  'SHOW TAG VALUES WITH KEY = host',
  'SHOW TAG VALUES ON other WITH KEY =~ /h;/',
  'SHOW FIELD KEYS',
  'SHOW FIELD KEYS ON "other"',
  'SHOW RETENTION POLICIES',
  'show retention policies on other',
  'SHOW SERIES',
  'SHOW SERIES ON other',
  'SHOW DATABASES; SHOW MEASUREMENTS ON other'
]

/** The databases InfluxDB 1.x would see for the classifier's list: `db/rp` is `db` there. */
function databasesOf (statement: string): string[] {
  const got = classifyInfluxQL(statement, { db: READABLE })
  assert.ok(got.ok, `${statement}: ${JSON.stringify(got)}`)
  return got.statements.flatMap((s) => s.databases.map((db) => db.split('/')[0] as string))
}

test('influxd 1.6.7 refuses exactly the statements the classifier says reach another database', {
  skip: binary === undefined ? 'influxd not installed' : false
}, async (t) => {
  const influxd = await startInfluxd(binary as string)
  t.after(() => influxd.stop())
  recordSecret(influxd.admin.password, 'password')
  recordSecret(READER_PW, 'password')
  for (const db of [READABLE, 'other']) await influxd.query(`CREATE DATABASE "${db}"`)
  await influxd.query('CREATE RETENTION POLICY "weekly" ON "other" DURATION 7d REPLICATION 1')
  await influxd.query(`CREATE USER "reader" WITH PASSWORD '${READER_PW}'`)
  await influxd.query(`GRANT READ ON "${READABLE}" TO "reader"`)
  const authorization = `Basic ${Buffer.from(`reader:${READER_PW}`).toString('base64')}`

  let refused = 0
  for (const statement of STATEMENTS) {
    const others = databasesOf(statement).filter((db) => db !== READABLE)
    const res = await fetch(`${influxd.url}/query`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ q: statement, db: READABLE })
    })
    const text = await res.text()
    if (others.length > 0) {
      refused++
      assert.equal(res.status, 403, `${statement} reaches ${others.join(', ')}, but influxd answered ${res.status} ${text}`)
      const named = /requires READ on (.*)"\}/.exec(text)?.[1]
      assert.ok(named !== undefined && others.includes(JSON.parse(`"${named}"`) as string), `${statement}: ${text}`)
    } else {
      assert.equal(res.status, 200, `${statement} reaches only ${READABLE}, but influxd answered ${res.status} ${text}`)
      assert.doesNotMatch(text, /authoriz|error parsing/, statement)
    }
  }
  t.diagnostic(`${STATEMENTS.length} statements: ${refused} refused by influxd as reaching another database, ${STATEMENTS.length - refused} run`)
})
