/**
 * Property-based tests (fast-check) of the InfluxQL classifier (`src/influxql/`): it never throws, whatever the
 * query, and it reads `;` the same way whatever quotes, regexes and comments surround it: two queries it
 * classifies, joined by a line break and `;`, classify as the statements of the one followed by those of the
 * other. Queries are built from InfluxQL's delimiters and keywords, so that unclosed quotes, regexes in odd
 * places and comments hiding statements come up often. `FUZZ_RUNS` sets the cases per property (default 200);
 * `FUZZ_SEED` and `FUZZ_PATH` replay a failure.
 * @packageDocumentation
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { classifyInfluxQL } from '../../src/influxql/classify-influxql.ts'

/** Cases per property. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 200)
/** Replays a reported failure. */
const REPLAY = {
  ...(process.env.FUZZ_SEED === undefined ? {} : { seed: Number(process.env.FUZZ_SEED) }),
  ...(process.env.FUZZ_PATH === undefined ? {} : { path: process.env.FUZZ_PATH })
}
const OPTIONS = { numRuns: RUNS, includeErrorInReport: true, ...REPLAY }

/** Pieces of InfluxQL, its delimiters and its traps. */
const FRAGMENTS = [
  'SELECT', '*', 'FROM', 'cpu', 'secret..m', 'secret.weekly.m', '"weekly".cpu', '"a;b"', '"a\\"b"', "'x;y'", "'it\\'s'",
  '/r;e/', '/a\\/b/', '=~', '!~', 'WHERE', 'host', '=', '(', ')', ',', ';', '--', '/*', '*/', '\n', '\\', '"', "'", '/',
  'SHOW', 'DATABASES', 'MEASUREMENTS', 'TAG', 'KEYS', 'VALUES', 'WITH', 'KEY', 'ON', 'EXPLAIN', 'ANALYZE', 'INTO', '.',
  '..', 'GROUP BY', 'time(1m)', 'LIMIT 1', 'mean(value)', '2', 'GRANT', 'DROP', 'DELETE', 'CREATE DATABASE', ':MEASUREMENT',
  '$p', '::integer', 'µ', '\u0000'
]

/** A query made of fragments, with or without spaces between them. */
const influxqlish = fc.tuple(fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 30 }), fc.constantFrom(' ', ''))
  .map(([parts, gap]) => parts.join(gap))

/** Any text at all, or InfluxQL-like text. */
const anyQuery = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), influxqlish)

/** What may stand between tokens: whitespace, and comments that hide a statement. */
const gap = fc.constantFrom(' ', '\n', '\t ', ' -- ;SELECT * FROM secret..m\n', '/* ;SELECT * FROM secret..m */', ' /**/ ')

/** The parts joined, each followed by a gap. */
function spaced (parts: fc.Arbitrary<string[]>): fc.Arbitrary<string> {
  return parts.chain((list) => fc.array(gap, { minLength: list.length, maxLength: list.length })
    .map((gaps) => list.map((part, i) => `${part}${gaps[i] ?? ' '}`).join('')))
}

const source = fc.constantFrom('cpu', 'secret..m', 'secret.weekly.m', '"weekly".cpu', '"a;b"', '"a\\"b"..m', '/r;e/', 'x../a\\/b/',
  '(SELECT * FROM deep..m)', '(SELECT max(v) FROM (SELECT v FROM "d;e"..m))')
const condition = fc.constantFrom("host = 'x;y'", "host = 'it\\'s;'", 'host =~ /r;e/', 'value / 2 > 1', '(a = 1 OR b = 2)', 'time > now() - 1h')

/** A SELECT InfluxDB 3 runs, with literals and comments full of `;`. */
const selectStatement = spaced(fc.tuple(
  fc.constantFrom('*', 'mean(value) / 2', '"f;g"', 'count(/^v/)'),
  fc.array(source, { minLength: 1, maxLength: 3 }),
  fc.option(condition),
  fc.option(fc.constantFrom('GROUP BY time(1m), /h;/ fill(null)', 'LIMIT 1', 'ORDER BY time DESC SLIMIT 1'))
).map(([fields, sources, where, tail]) => ['SELECT', fields, 'FROM', sources.join(', '),
  ...(where === null ? [] : ['WHERE', where]), ...(tail === null ? [] : [tail])]))

/** A SHOW, EXPLAIN or refused statement. */
const otherStatement = fc.constantFrom('SHOW DATABASES', 'SHOW MEASUREMENTS ON secret WITH MEASUREMENT =~ /c;u/',
  'SHOW TAG KEYS FROM cpu', "SHOW TAG VALUES ON secret WITH KEY = \"h;\" WHERE a = ';'", 'SHOW FIELD KEYS ON "s;t"',
  'SHOW RETENTION POLICIES', 'EXPLAIN ANALYZE SELECT * FROM secret..m', 'GRANT ALL ON x TO y', "CREATE USER u WITH PASSWORD ';'")

/** A query of one to three statements InfluxDB 3 parses. */
const statements = fc.array(fc.oneof(selectStatement, otherStatement), { minLength: 1, maxLength: 3 })
  .chain((list) => spaced(fc.constant(list.flatMap((s, i) => i === 0 ? [s] : [';', s]))))

const DEFAULTS = [{}, { db: 'telemetry' }, { db: 'telemetry', rp: 'weekly' }]

test('the classifier never throws, and says why when it refuses', () => {
  fc.assert(fc.property(anyQuery, fc.constantFrom(...DEFAULTS), (query, defaults) => {
    const got = classifyInfluxQL(query, defaults)
    if (!got.ok) assert.ok(got.reason.length > 0)
    else assert.ok(got.statements.every((s) => s.kind !== '' && s.databases.every((db) => db !== '')))
  }), OPTIONS)
})

test('two classified queries joined by a line break and ; classify as both, in order', () => {
  fc.assert(fc.property(fc.oneof(statements, influxqlish), statements, (first, second) => {
    const a = classifyInfluxQL(first, { db: 'telemetry' })
    const b = classifyInfluxQL(second, { db: 'telemetry' })
    assert.ok(b.ok, `${second}: ${JSON.stringify(b)}`)
    if (!a.ok) return
    const joined = classifyInfluxQL(`${first}\n;${second}`, { db: 'telemetry' })
    assert.deepEqual(joined, { ok: true, statements: [...a.statements, ...b.statements] })
  }), OPTIONS)
})
