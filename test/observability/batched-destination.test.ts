import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { createBatchedDestination } from '../../src/observability/batched-destination.ts'

function tempFd (t: TestContext): { fd: number, read: () => string } {
  const dir = mkdtempSync(join(tmpdir(), 'batched-'))
  const file = join(dir, 'out.log')
  const fd = openSync(file, 'a')
  t.after(() => { closeSync(fd); rmSync(dir, { recursive: true }) })
  return { fd, read: () => readFileSync(file, 'utf8') }
}

const flushed = async (d: { flush: (cb: (err?: Error | null) => void) => void }): Promise<void> =>
  await new Promise((resolve, reject) => d.flush((err) => err == null ? resolve() : reject(err)))

test('lines are held until a batch is full, then written whole and in order', async (t) => {
  const { fd, read } = tempFd(t)
  const d = createBatchedDestination(fd, { batchBytes: 100, flushEveryMs: 60_000 })
  d.write('a'.repeat(40) + '\n')
  d.write('b'.repeat(40) + '\n')
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(read(), '', 'under a batch: nothing written yet')
  d.write('c'.repeat(40) + '\n')
  await flushed(d)
  assert.equal(read(), `${'a'.repeat(40)}\n${'b'.repeat(40)}\n${'c'.repeat(40)}\n`)
})

test('a quiet destination writes its lines on the interval', async (t) => {
  const { fd, read } = tempFd(t)
  t.mock.timers.enable({ apis: ['setInterval'] })
  const d = createBatchedDestination(fd, { batchBytes: 4096, flushEveryMs: 100 })
  d.write('one line\n')
  t.mock.timers.tick(100)
  await flushed(d) // waits for the write the interval started
  assert.equal(read(), 'one line\n')
})

test('lines still pending when the process exits are written, after the ones already handed over', () => {
  const script = [
    "import { createLogger } from './src/observability/logger.ts'",
    "const log = createLogger({ level: 'info' })",
    "for (let i = 0; i < 5; i++) log.info({ i }, 'line')",
    'process.exit(3)'
  ].join('\n')
  const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: join(import.meta.dirname, '..', '..'), encoding: 'utf8' })
  assert.equal(out.status, 3)
  const lines = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as { i: number })
  assert.deepEqual(lines.map((l) => l.i), [0, 1, 2, 3, 4])
})
