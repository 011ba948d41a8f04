import assert from 'node:assert/strict'
import { test } from 'node:test'
import YAML from 'yaml'
import { parseDuration } from '../../src/config/duration.ts'
import { ConfigError, parseConfig } from '../../src/config/load.ts'
import { duration } from '../../src/config/schema-types.ts'

test('parseDuration reads the units operators write', () => {
  const cases: Array<[string, number | undefined]> = [
    ['500ms', 500], ['90s', 90_000], ['10m', 600_000], ['8h', 28_800_000], ['1d', 86_400_000],
    ['1h30m', 5_400_000], ['1.5s', 1500], [' 2m ', 120_000], ['0s', 0],
    ['', undefined], ['10', undefined], ['10x', undefined], ['m10', undefined], ['-5s', undefined],
    ['10 m', undefined], ['1h 30m', undefined], ['1e3ms', undefined]
  ]
  for (const [text, expected] of cases) assert.equal(parseDuration(text), expected, JSON.stringify(text))
})

const noFiles = (path: string): string => { throw Object.assign(new Error(path), { code: 'ENOENT' }) }

type Doc = Record<string, unknown>

/** What else a key needs set to be checked alone (by path prefix): Redis keys need the store, absoluteTimeout ≥ idleTimeout. */
const CONTEXT: Array<[string, Doc]> = [
  ['session.redis.', { session: { store: 'redis', redis: { url: 'redis://127.0.0.1:6379' }, recordKey: `\${RECORD_KEY:-${'k'.repeat(32)}}` } }],
  ['session.absoluteTimeout', { session: { idleTimeout: '1m' } }]
]

function merge (into: Doc, from: Doc): Doc {
  for (const [k, v] of Object.entries(from)) {
    into[k] = v !== null && typeof v === 'object' && typeof into[k] === 'object' ? merge(into[k] as Doc, v as Doc) : v
  }
  return into
}

/** The problems `check-config` would print for one key (`a.b.c`) set to `value`, or [] when it loads. */
function problemsFor (path: string, value: string): string[] {
  const doc = structuredClone(CONTEXT.find(([prefix]) => path.startsWith(prefix))?.[1] ?? {})
  merge(doc, path.split('.').reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Doc)
  try {
    parseConfig(YAML.stringify(doc), { env: {}, readFile: noFiles })
    return []
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err))
    return err.problems
  }
}

test('durations that make no sense are refused with their YAML path; each key has its own minimum', () => {
  // key, shortest accepted, a value below it (undefined: zero is meaningful there).
  const table: Array<[string, string, string | undefined]> = [
    ['server.shutdownTimeout', '0s', undefined],
    ['upstream.timeout', '100ms', '0s'],
    ['session.idleTimeout', '1m', '0s'],
    ['session.idleTimeout', '1m', '59s'],
    ['session.absoluteTimeout', '1m', '30s'],
    ['session.redis.connectTimeout', '100ms', '0s'],
    ['session.redis.commandTimeout', '10ms', '0ms'],
    ['limits.headersTimeout', '100ms', '0s'],
    ['limits.keepAliveTimeout', '100ms', '0s'],
    ['limits.signinBodyTimeout', '100ms', '50ms'],
    ['signin.findTime', '1s', '0s'],
    ['signin.banTime', '1s', '0s']
  ]
  for (const [path, min, below] of table) {
    assert.deepEqual(problemsFor(path, min), [], `${path}: ${min} is accepted`)
    if (below !== undefined) assert.deepEqual(problemsFor(path, below), [`${path}: must be at least ${min}`], `${path}: ${below}`)
  }
  assert.equal(parseConfig('server:\n  shutdownTimeout: 0s\n', { env: {}, readFile: noFiles }).server.shutdownTimeout, 0)
  assert.deepEqual(problemsFor('upstream.timeout', 'soon'), ['upstream.timeout: invalid duration (write e.g. 500ms, 90s, 10m, 8h)'])
})

test('a duration key\'s default must satisfy its own minimum', () => {
  assert.throws(() => duration('0s', { min: '1s' }), /bad duration default 0s/)
  assert.throws(() => duration('10m', { min: 'soon' }), /bad duration default/)
})
