/**
 * Every shell block of README.md and docs/*.md says what runs its commands: a test or script that exists
 * (`<!-- commands: run by test/… -->`), or why none can here (`<!-- commands: not run by the tests: … -->`).
 * A block added without either fails, so a command in the docs cannot quietly go untested.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { REPO } from '../helpers/cli-process.ts'
import { commandLines, docPages, shellBlocks, type ShellBlock } from '../helpers/doc-commands.ts'

/** The files a `run by` marker names: paths under test/, scripts/, bench/ or .ci/. */
const RUNNER = /(?:^|[\s(,])((?:test|scripts|bench|\.ci)\/[\w./-]+\w)/g
const NOT_RUN = /^not run by the tests: (.{10,})$/

const where = (b: ShellBlock): string => `${b.file}:${b.line}`

test('the docs have shell blocks, and README.md runs its quick start through tests', () => {
  const blocks = docPages().flatMap(shellBlocks)
  assert.ok(blocks.length >= 8, `found ${blocks.length} blocks`)
  assert.ok(shellBlocks('README.md').some((b) => b.marker?.includes('test/scripts/demo.test.ts') === true), 'npm run demo is run by its test')
})

test('every shell block of the docs is run by a named test or script, or says why it cannot be', () => {
  for (const block of docPages().flatMap(shellBlocks)) {
    const marker = block.marker ?? assert.fail(`${where(block)}: no <!-- commands: … --> marker above the block`)
    assert.ok(commandLines(block).length > 0, `${where(block)}: a shell block without a command`)
    if (NOT_RUN.test(marker)) continue
    assert.match(marker, /^run by /, `${where(block)}: the marker says neither "run by" nor "not run by the tests: <reason>"`)
    const runners = [...marker.matchAll(RUNNER)].map((m) => m[1] as string)
    assert.ok(runners.length > 0, `${where(block)}: "${marker}" names no test or script`)
    for (const runner of runners) assert.ok(existsSync(join(REPO, runner)), `${where(block)}: ${runner} does not exist`)
  }
})

test('a block without a marker is found (the check above can fail)', () => {
  const unmarked = shellBlocks('test/fixtures/doc-commands/unmarked.md')
  assert.equal(unmarked.length, 2)
  assert.equal(unmarked[0]?.marker, undefined)
  assert.equal(unmarked[1]?.marker, 'not run by the tests: needs a Docker engine')
  assert.deepEqual(commandLines(unmarked[0] as ShellBlock), ['npm run something', 'curl -i http://127.0.0.1:8080/a -H x'])
})
