// `npm run golden -- <commit>`: the golden scenario (scripts/golden/scenario.ts) through the gateway of
// another commit and through this tree's, each in front of fresh InfluxDB doubles; prints a unified diff of
// the two normalised transcripts and exits 1 when they differ. The other commit is checked out in a
// temporary git worktree sharing this tree's node_modules, and driven only from outside (config files,
// HTTP, its stdout): none of its modules is imported. `npm run golden -- --write` re-records the committed
// transcript (test/fixtures/golden/run.txt) from this tree.
import { fileURLToPath } from 'node:url'
import { withOtherTree } from './golden/other-tree.ts'
import { recordRun } from './golden/record-run.ts'
import { writeTranscript } from './golden/transcript-file.ts'
import { unifiedDiff } from './golden/unified-diff.ts'

const REPO = fileURLToPath(new URL('..', import.meta.url))
const USAGE = 'usage: npm run golden -- <commit>   (compare with another commit)\n' +
  '       npm run golden -- --write      (re-record the transcript)'

async function main (arg: string | undefined): Promise<number> {
  if (arg === undefined || arg === '--help') {
    console.error(USAGE)
    return arg === undefined ? 2 : 0
  }
  if (arg === '--write') {
    console.log(`written: ${writeTranscript(REPO, (await recordRun(REPO)).transcript)}`)
    return 0
  }
  const before = await withOtherTree(REPO, arg, async (root) => (await recordRun(root)).transcript)
  const after = (await recordRun(REPO)).transcript
  const diff = unifiedDiff({ label: `golden run at ${arg}`, text: before }, { label: 'golden run of this tree', text: after })
  if (diff === '') {
    console.log(`identical: ${after.split('\n').length} transcript lines, the same at ${arg} and in this tree`)
    return 0
  }
  console.log(diff)
  console.error(`the observable output differs between ${arg} and this tree (diff above)`)
  return 1
}

main(process.argv[2]).then((code) => { process.exitCode = code }, (err: unknown) => { console.error(err); process.exitCode = 1 })
