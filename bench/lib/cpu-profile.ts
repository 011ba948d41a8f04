import { readFileSync } from 'node:fs'

/** One line of a profile summary: where time went, µs per request. */
export interface ProfileRow { name: string, usPerRequest: number }

interface ProfileNode { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }
interface CpuProfile { nodes: ProfileNode[], samples: number[], timeDeltas: number[] }

/** `node_modules/<pkg>`, `node:<module>`, `src/<file>`, or `(native)`: who owns a frame. */
function owner (url: string): string {
  if (url === '') return '(native)'
  const dep = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)
  if (dep !== null) return dep[1] as string
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0] as string}`
  if (url.includes('/src/')) return `src/${url.split('/src/')[1] as string}`
  return url.split('/').at(-1) as string
}

/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time per owner (package, Node
 * module, source file) and per function, divided by `requests`, without idle time. Sampled, so
 * a row under a few µs is within noise.
 */
export function summariseProfile (file: string, requests: number, top = 25): { owners: ProfileRow[], functions: ProfileRow[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
  const owners = new Map<string, number>()
  const functions = new Map<string, number>()
  profile.samples.forEach((id, i) => {
    const frame = (nodes.get(id) as ProfileNode).callFrame
    if (frame.functionName === '(idle)') return
    const us = profile.timeDeltas[i] ?? 0
    const who = owner(frame.url)
    owners.set(who, (owners.get(who) ?? 0) + us)
    const fn = `${frame.functionName === '' ? '(anonymous)' : frame.functionName} (${who}${frame.url === '' ? '' : `:${frame.lineNumber + 1}`})`
    functions.set(fn, (functions.get(fn) ?? 0) + us)
  })
  const rows = (m: Map<string, number>): ProfileRow[] => [...m]
    .sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, us]) => ({ name, usPerRequest: us / requests }))
  return { owners: rows(owners), functions: rows(functions) }
}
