import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

/** The committed transcript of the golden run, relative to the repository. */
export const TRANSCRIPT_PATH = join('test', 'fixtures', 'golden', 'run.txt')
/** The line that ends the transcript file's header. */
const END_OF_HEADER = '-----'

/** The transcript committed in the repository at `repo`, without its header. */
export function readTranscript (repo: string): string {
  const text = readFileSync(join(repo, TRANSCRIPT_PATH), 'utf8')
  const end = text.indexOf(`\n${END_OF_HEADER}\n`)
  if (end < 0) throw new Error(`${TRANSCRIPT_PATH}: no "${END_OF_HEADER}" line ends its header`)
  return text.slice(end + END_OF_HEADER.length + 2)
}

/** Writes `transcript` as the committed one, under a header saying where and how it was recorded. */
export function writeTranscript (repo: string, transcript: string): string {
  const git = (...args: string[]): string => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim()
  // The gateway's code is what the transcript records; changes elsewhere (the harness, docs) do not matter.
  const dirty = git('status', '--porcelain', '--', 'src', 'package-lock.json') === '' ? '' : ' with uncommitted changes to src/'
  const header = [
    'The golden run: what the gateway answers and prints (access, audit and other log lines, metrics) for a fixed',
    'scenario of requests (scripts/golden/scenario.ts), times, ids, cookies and ports replaced by placeholders.',
    'test/golden/golden-run.test.ts replays the scenario through this tree and fails on any difference.',
    `Recorded with \`npm run golden -- --write\` from commit ${git('rev-parse', '--short', 'HEAD')}${dirty}, Node ${process.version}.`,
    'Re-record only when a change of what the gateway observably does is intended, in the commit making it.',
    END_OF_HEADER
  ]
  const file = join(repo, TRANSCRIPT_PATH)
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, header.join('\n') + '\n' + transcript)
  return file
}
