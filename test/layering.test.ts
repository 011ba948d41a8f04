/**
 * Layers import one way. Each folder of `src/`, and each file directly in `src/`, is one node; an import
 * from one node into another is an edge (`import type` too: a type cycle is a design cycle). The graph has
 * no cycle, and the leaves everything may use — the error catalogue, the error shaper and the request-target
 * rules — import nothing of the gateway but each other. ESLint's `import/no-cycle` checks files; this
 * checks the layers.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src')
const LEAVES = ['errors.ts', 'error-response.ts', 'route-rules.ts']

/** Every `.ts` file below `dir`. */
function sources (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [])
}

/** The node a file belongs to: its top folder under `src/` (`session/`), or the file itself (`deps.ts`). */
function nodeOf (file: string): string {
  const path = relative(SRC, file)
  return path.includes('/') ? `${path.split('/')[0] ?? ''}/` : path
}

/** node → the nodes it imports, with one importing file per edge (for the message). */
function importGraph (): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>()
  for (const file of sources(SRC)) {
    const from = nodeOf(file)
    const edges = graph.get(from) ?? new Map<string, string>()
    graph.set(from, edges)
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\b[^'"]*?from '(\.[^']+)'/gm)) {
      const to = nodeOf(resolve(dirname(file), spec as string))
      if (to !== from && !edges.has(to)) edges.set(to, relative(SRC, file))
    }
  }
  return graph
}

/** A cycle through the graph as a list of `a -> b (file)` steps, or undefined. */
function findCycle (graph: Map<string, Map<string, string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>()
  const path: string[] = []
  const visit = (node: string): string[] | undefined => {
    state.set(node, 'open')
    path.push(node)
    for (const [next, via] of graph.get(node) ?? []) {
      if (state.get(next) === 'open') {
        const loop = [...path.slice(path.indexOf(next)), next]
        return loop.slice(1).map((to, i) => `${loop[i] ?? ''} -> ${to} (${graph.get(loop[i] ?? '')?.get(to) ?? via})`)
      }
      const found = state.has(next) ? undefined : visit(next)
      if (found !== undefined) return found
    }
    path.pop()
    state.set(node, 'done')
    return undefined
  }
  for (const node of graph.keys()) {
    const found = state.has(node) ? undefined : visit(node)
    if (found !== undefined) return found
  }
  return undefined
}

test('no import cycle between the folders (and top-level files) of src/', () => {
  const cycle = findCycle(importGraph())
  assert.equal(cycle, undefined, `layers import each other: ${cycle?.join(', ') ?? ''}`)
})

test('the error catalogue, the error shaper and the route rules import nothing of the layers above them', () => {
  const graph = importGraph()
  for (const leaf of LEAVES) {
    const outside = [...(graph.get(leaf)?.keys() ?? [])].filter((to) => !LEAVES.includes(to))
    assert.deepEqual(outside, [], `${leaf} imports ${outside.join(', ')}`)
  }
})

test('the check sees a cycle when there is one', () => {
  const graph = new Map([['config/', new Map([['auth/', 'config/x.ts']])], ['auth/', new Map([['config/', 'auth/y.ts']])]])
  assert.deepEqual(findCycle(graph), ['config/ -> auth/ (config/x.ts)', 'auth/ -> config/ (auth/y.ts)'])
})
