import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseDuration } from '../../src/config/duration.ts'

test('parseDuration reads the units operators write', () => {
  const cases: Array<[string, number | undefined]> = [
    ['500ms', 500], ['90s', 90_000], ['10m', 600_000], ['8h', 28_800_000], ['1d', 86_400_000],
    ['1h30m', 5_400_000], ['1.5s', 1500], [' 2m ', 120_000], ['0s', 0],
    ['', undefined], ['10', undefined], ['10x', undefined], ['m10', undefined], ['-5s', undefined],
    ['10 m', undefined], ['1h 30m', undefined], ['1e3ms', undefined]
  ]
  for (const [text, expected] of cases) assert.equal(parseDuration(text), expected, JSON.stringify(text))
})
