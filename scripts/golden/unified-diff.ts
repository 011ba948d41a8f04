import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A unified diff (`diff -u`, 3 lines of context) from `before` to `after`; empty when they are equal. */
export function unifiedDiff (before: { label: string, text: string }, after: { label: string, text: string }): string {
  if (before.text === after.text) return ''
  const dir = mkdtempSync(join(tmpdir(), 'gw-golden-diff-'))
  try {
    const a = join(dir, 'before')
    const b = join(dir, 'after')
    writeFileSync(a, before.text)
    writeFileSync(b, after.text)
    const res = spawnSync('diff', ['-u', '--label', before.label, '--label', after.label, a, b], { encoding: 'utf8' })
    if (res.status !== 1) throw new Error(`diff failed (${res.status ?? res.error?.message}): ${res.stderr}`)
    return res.stdout
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
