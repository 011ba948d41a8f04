import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PASSWORDS, TOKENS } from '../../scripts/golden/golden-config.ts'
import { recordRun } from '../../scripts/golden/record-run.ts'
import { readTranscript, TRANSCRIPT_PATH } from '../../scripts/golden/transcript-file.ts'
import { unifiedDiff } from '../../scripts/golden/unified-diff.ts'
import { REPO } from '../helpers/cli-process.ts'
import { recordLogLines, recordSecret } from '../helpers/secret-ledger.ts'

// The golden run (scripts/golden/): the fixed scenario through this tree's gateway CLI, every observable
// answer, log line and metric compared with the committed transcript. A refactor that changes any of them
// fails here; a change meant to be observable re-records it with `npm run golden -- --write`.
test('the golden scenario answers, logs and counts exactly as the committed transcript', async () => {
  for (const password of Object.values(PASSWORDS)) recordSecret(password, 'password')
  for (const token of Object.values(TOKENS)) recordSecret(token, 'token')
  const run = await recordRun(REPO)
  recordLogLines(run.rawLines, 'golden-gateway')
  for (const cookie of run.cookies) recordSecret(cookie.slice(cookie.indexOf('=') + 1), 'session-cookie')
  const diff = unifiedDiff({ label: TRANSCRIPT_PATH, text: readTranscript(REPO) }, { label: 'this run', text: run.transcript })
  if (diff !== '') {
    assert.fail(`the observable output differs from ${TRANSCRIPT_PATH} (re-record with \`npm run golden -- --write\` ` +
      `only if the change is intended):\n${diff}`)
  }
})
