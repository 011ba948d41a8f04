/**
 * The ingress configs of docs/forward-auth.md, as the tests and the benchmark run them: each fenced block is
 * taken from the page as written (marked `<!-- config: used by … -->` above its fence) and only its
 * addresses are moved to the ports of the run, so the page shows exactly what was tested.
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO } from './cli-process.ts'

/** The page the configs come from. */
export const FORWARD_AUTH_DOC = 'docs/forward-auth.md'

/** Where the parts listen in a run; the page writes 8000, 8080, 8086 and 3000. */
export interface IngressPorts { ingress: number, gateway: number, influx: number, app: number }

const MARKER = /^<!--\s*config:\s*used by .*-->$/

/** The one block of the page fenced as `lang` under a `config:` marker, as written. */
export function docConfig (lang: 'nginx' | 'caddyfile' | 'yaml'): string {
  const lines = readFileSync(join(REPO, FORWARD_AUTH_DOC), 'utf8').split('\n')
  const found: string[] = []
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== `\`\`\`${lang}`) continue
    let above = i - 1
    while (above >= 0 && (lines[above] ?? '').trim() === '') above--
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'))
    if (MARKER.test((lines[above] ?? '').trim())) found.push(lines.slice(i + 1, end).join('\n'))
  }
  if (found.length !== 1) throw new Error(`${FORWARD_AUTH_DOC}: ${found.length} marked ${lang} blocks, expected 1`)
  return found[0] as string
}

/** `config` with the page's addresses moved to `ports`. */
export function onPorts (config: string, ports: IngressPorts): string {
  return config
    .replaceAll('127.0.0.1:8000', `127.0.0.1:${ports.ingress}`)
    .replaceAll('127.0.0.1:8080', `127.0.0.1:${ports.gateway}`)
    .replaceAll('127.0.0.1:8086', `127.0.0.1:${ports.influx}`)
    .replaceAll('127.0.0.1:3000', `127.0.0.1:${ports.app}`)
}
