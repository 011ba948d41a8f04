import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import { createAccessLog, type AccessEntry } from '../../src/observability/access-log.ts'
import { createLogger } from '../../src/observability/logger.ts'

/** A logger writing into an array of raw lines, as the gateway's stdout would receive them. */
function capture (level = 'info'): { lines: string[], logger: ReturnType<typeof createLogger> } {
  const lines: string[] = []
  const sink = new Writable({ write (chunk, _enc, done) { lines.push(String(chunk)); done() } })
  return { lines, logger: createLogger({ level }, sink) }
}

const ENTRY: AccessEntry = { reqId: 'req-1', method: 'GET', route: 'api', path: '/api/v2/buckets', status: 200, durationMs: 3, user: 'alice' }

test('the access line is the line pino writes for the same fields: same keys, order, time and base fields', () => {
  const { lines, logger } = capture()
  createAccessLog(logger).write(ENTRY)
  logger.info({ reqId: ENTRY.reqId, method: ENTRY.method, route: ENTRY.route, path: ENTRY.path, status: ENTRY.status, durationMs: ENTRY.durationMs, user: ENTRY.user }, 'request')
  assert.equal(lines.length, 2)
  const [ours, pinos] = lines.map((l) => JSON.parse(l) as Record<string, unknown>) as [Record<string, unknown>, Record<string, unknown>]
  assert.deepEqual(Object.keys(ours), Object.keys(pinos))
  assert.deepEqual({ ...ours, time: undefined }, { ...pinos, time: undefined })
  assert.match(String(ours.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  assert.ok(lines[0]?.endsWith('}\n'), 'one line')
})

test('an anonymous request has no user field, as pino leaves out undefined', () => {
  const { lines, logger } = capture()
  createAccessLog(logger).write({ ...ENTRY, user: undefined })
  assert.equal('user' in JSON.parse(lines[0] as string), false)
})

test('paths and user names are escaped: a hostile one cannot forge fields or lines', () => {
  const { lines, logger } = capture()
  const path = '/api/v2/"x","status":500,"user":"admin"}\n{"forged":true'
  const user = 'ma\u0000l"ory\u2028'
  createAccessLog(logger).write({ ...ENTRY, path, user })
  assert.equal(lines.length, 1)
  assert.equal(lines[0]?.split('\n').length, 2, 'still one line')
  const line = JSON.parse(lines[0] as string) as Record<string, unknown>
  assert.equal(line.path, path)
  assert.equal(line.user, user)
  assert.equal(line.status, 200)
})

test('the logger\'s level applies, also after it changes (a reload)', () => {
  const { lines, logger } = capture('warn')
  const access = createAccessLog(logger)
  access.write(ENTRY)
  assert.equal(lines.length, 0, 'not at warn')
  logger.level = 'debug'
  access.write(ENTRY)
  assert.equal(lines.length, 1, 'at debug')
})
