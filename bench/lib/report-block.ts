import { existsSync, readFileSync, writeFileSync } from 'node:fs'

const BEGIN = '<!-- bench:begin -->'
const END = '<!-- bench:end -->'

/**
 * Replaces what lies between `<!-- bench:begin -->` and `<!-- bench:end -->` in `file` with
 * `report`; creates the file (a title and the markers) when missing, appends the markers when absent.
 */
export function writeReportBlock (file: string, report: string): void {
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\nWritten by `npm run bench -- --write` (bench/run.ts); everything between the markers is replaced on each run.\n'
  if (!text.includes(BEGIN) || !text.includes(END)) text = `${text.trimEnd()}\n\n${BEGIN}\n${END}\n`
  const start = text.indexOf(BEGIN) + BEGIN.length
  const end = text.indexOf(END, start)
  if (end < 0) throw new Error(`${file}: ${END} comes before ${BEGIN}`)
  writeFileSync(file, `${text.slice(0, start)}\n${report.trim()}\n${text.slice(end)}`)
}
