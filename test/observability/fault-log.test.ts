import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import pino, { type Logger } from 'pino'
import { createFaultLog } from '../../src/observability/fault-log.ts'

/** A pino logger whose lines land in `lines` (level by name, no time or base fields). */
function recorder (): { lines: Array<Record<string, unknown>>, logger: Logger } {
  const lines: Array<Record<string, unknown>> = []
  const sink = new Writable({ write (chunk, _enc, cb) { lines.push(JSON.parse(String(chunk)) as Record<string, unknown>); cb() } })
  const logger = pino({ base: undefined, timestamp: false, formatters: { level: (label) => ({ level: label }) } }, sink)
  return { lines, logger }
}

/** Pino writes through a stream: the lines so far, once it has. */
async function written (lines: Array<Record<string, unknown>>): Promise<Array<Record<string, unknown>>> {
  await new Promise((resolve) => setImmediate(resolve))
  return lines
}

test('an episode is one line at its start, one summary per interval, one at its end', async () => {
  let t = 0
  const { lines, logger } = recorder()
  const faults = createFaultLog({ logger, now: () => t, what: 'InfluxDB requests', intervalMs: 10_000 })
  faults.succeeded()
  for (let i = 0; i < 1000; i++) faults.failed('ECONNREFUSED')
  assert.deepEqual(await written(lines), [{ level: 'warn', kind: 'ECONNREFUSED', msg: 'InfluxDB requests failing' }])
  t = 9_999
  faults.failed('ECONNREFUSED')
  assert.equal((await written(lines)).length, 1, 'no line before the interval is up')
  t = 10_000
  faults.failed('UND_ERR_SOCKET')
  assert.deepEqual((await written(lines))[1], {
    level: 'warn', failures: 1001, kinds: { ECONNREFUSED: 1000, UND_ERR_SOCKET: 1 }, sinceMs: 10_000, msg: 'InfluxDB requests still failing'
  })
  assert.equal(faults.failing(), true)
  t = 19_999
  faults.succeeded()
  assert.equal((await written(lines)).length, 2, 'a success right after a failure does not end a flapping episode')
  t = 20_000
  faults.succeeded()
  faults.succeeded()
  assert.deepEqual((await written(lines))[2], { level: 'info', failures: 1002, durationMs: 10_000, msg: 'InfluxDB requests recovered' })
  assert.equal((await written(lines)).length, 3)
  assert.equal(faults.failing(), false)
  faults.failed('ECONNREFUSED')
  assert.equal((await written(lines))[3]?.msg, 'InfluxDB requests failing', 'the next episode starts with a line of its own')
})
