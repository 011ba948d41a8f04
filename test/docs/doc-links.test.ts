/**
 * The links between the docs resolve: every relative link in README.md, docs/*.md and the root guides
 * names a file that exists and, with `#anchor`, a heading of that file (GitHub's anchors). Pages moved
 * or sections renamed break no link unnoticed.
 */
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'
import { test } from 'node:test'
import { REPO } from '../helpers/cli-process.ts'
import { docPages } from '../helpers/doc-commands.ts'

const PAGES = [...docPages(), 'CONTRIBUTING.md', 'SECURITY.md', 'BENCHMARKS.md']

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchor (heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-')
}

/** The anchors of a Markdown file's headings (fenced blocks skipped). */
function anchors (file: string): Set<string> {
  const found = new Set<string>()
  let fenced = false
  for (const line of readFileSync(join(REPO, file), 'utf8').split('\n')) {
    if (line.startsWith('```')) fenced = !fenced
    const heading = fenced ? null : /^#{1,6} (.*)$/.exec(line)
    if (heading?.[1] !== undefined) found.add(anchor(heading[1]))
  }
  return found
}

test('GitHub anchors are made as the docs expect', () => {
  assert.equal(anchor('Walkthrough with curl: InfluxDB 2'), 'walkthrough-with-curl-influxdb-2')
  assert.equal(anchor('Behind an auth proxy (Authelia, oauth2-proxy, Pomerium)'), 'behind-an-auth-proxy-authelia-oauth2-proxy-pomerium')
})

test('every relative link of the docs names an existing file and heading', () => {
  let checked = 0
  for (const page of PAGES) {
    const text = readFileSync(join(REPO, page), 'utf8').replace(/^```[\s\S]*?^```/gm, '')
    for (const [, target = ''] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target)) continue
      const [path = '', hash] = target.split('#', 2)
      const file = path === '' ? page : normalize(join(dirname(page), path))
      assert.ok(existsSync(join(REPO, file)), `${page}: ${target}: no file ${file}`)
      if (hash !== undefined && file.endsWith('.md')) assert.ok(anchors(file).has(hash), `${page}: ${target}: no heading #${hash} in ${file}`)
      checked++
    }
  }
  assert.ok(checked > 30, `only ${checked} links found`)
})
