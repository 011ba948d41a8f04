/**
 * The shell blocks of the docs (README.md and docs/*.md), read as the tests that run them need them. Each
 * fenced `sh`/`bash`/`shell`/`console` block is preceded by a marker comment saying what runs it:
 *
 *   <!-- commands: run by test/docs/walkthroughs.test.ts, against the InfluxDB 2 double -->
 *   <!-- commands: not run by the tests: they need a Docker engine -->
 *
 * `test/docs/doc-commands.test.ts` checks that every block has one; the tests named run the block's
 * commands as written (see {@link commandLines}).
 * @packageDocumentation
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO } from './cli-process.ts'

/** One fenced shell block of a docs page. */
export interface ShellBlock {
  /** The page, relative to the repository (`README.md`, `docs/deployment.md`). */
  file: string
  /** 1-based line of the opening fence. */
  line: number
  /** The marker comment's text after `commands:`, or undefined when the block has none. */
  marker: string | undefined
  /** The block's text, fences excluded. */
  text: string
}

const SHELL_FENCE = /^```(sh|bash|shell|console)\s*$/
const MARKER = /^<!--\s*commands:\s*(.*?)\s*-->$/

/** The pages whose commands are checked: README.md and every Markdown file directly under docs/. */
export function docPages (): string[] {
  const docs = readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)
  return ['README.md', ...docs]
}

/** Every shell block of `file`, with the marker on the nearest non-blank line above its fence. */
export function shellBlocks (file: string): ShellBlock[] {
  const lines = readFileSync(join(REPO, file), 'utf8').split('\n')
  const blocks: ShellBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    if (!SHELL_FENCE.test(lines[i] ?? '')) continue
    let above = i - 1
    while (above >= 0 && (lines[above] ?? '').trim() === '') above--
    const marker = MARKER.exec((lines[above] ?? '').trim())?.[1]
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'))
    if (end < 0) throw new Error(`${file}:${i + 1}: unclosed fence`)
    blocks.push({ file, line: i + 1, marker, text: lines.slice(i + 1, end).join('\n') })
    i = end
  }
  return blocks
}

/** The one block of `file` whose marker names `runner` and contains `mention` (throws unless exactly one). */
export function blockRunBy (file: string, runner: string, mention: string): ShellBlock {
  const found = shellBlocks(file).filter((b) => b.marker?.includes(runner) === true && b.marker.includes(mention))
  if (found.length !== 1) throw new Error(`${file}: ${found.length} blocks marked as run by ${runner} (${mention})`)
  return found[0] as ShellBlock
}

/** The block's commands: comment lines dropped, `\`-continued lines joined. */
export function commandLines (block: ShellBlock): string[] {
  const commands: string[] = []
  let pending = ''
  for (const raw of block.text.split('\n')) {
    const line = raw.trimEnd()
    if (pending === '' && (line.trim() === '' || line.trimStart().startsWith('#'))) continue
    const part = pending === '' ? line : line.trimStart()
    if (part.endsWith('\\')) { pending += `${part.slice(0, -1).trimEnd()} `; continue }
    commands.push(pending + part)
    pending = ''
  }
  return commands
}

/**
 * The YAML the block shows in comments (`#   users:` and the lines indented under it), uncommented: what
 * a reader is told to put into the config file.
 */
export function commentedYaml (block: ShellBlock): string {
  return block.text.split('\n')
    .filter((l) => /^# {3}\S|^# {5,}\S/.test(l))
    .map((l) => l.slice(4))
    .join('\n')
}
