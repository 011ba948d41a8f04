import { z } from 'zod'
import { isRestartOnly } from './restart-only.ts'
import { configSchema } from './schema.ts'

/** One documented key. */
export interface ReferenceRow {
  key: string
  type: string
  default: string
  description: string
  /** Read once at start: a reload that changes it logs it and leaves it unapplied (see restart-only.ts). */
  restart: boolean
}

interface Def {
  type: string
  innerType?: z.ZodType
  in?: z.ZodType
  shape?: Record<string, z.ZodType>
  element?: z.ZodType
  defaultValue?: unknown
  entries?: Record<string, string>
}

const def = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def

/** Every key of the configuration with its type, default and description, read from the zod schema. */
export function configReference (): ReferenceRow[] {
  return walk(configSchema, '')
}

function walk (schema: z.ZodType, path: string): ReferenceRow[] {
  let node = schema
  let description = schema.description
  let type: string | undefined
  let fallback: unknown
  let optional = false
  let restart = false
  for (;;) {
    description ??= node.description
    restart ||= isRestartOnly(node)
    type ??= z.globalRegistry.get(node)?.type as string | undefined
    const d = def(node)
    if (d.type === 'default' || d.type === 'prefault') fallback ??= d.defaultValue
    if (d.type === 'optional') optional = true
    const next = d.innerType ?? (d.type === 'pipe' ? d.in : undefined)
    if (next === undefined) break
    node = next
  }
  const d = def(node)
  if (d.type === 'object' && d.shape !== undefined) {
    const children = Object.entries(d.shape).flatMap(([key, child]) => walk(child, path === '' ? key : `${path}.${key}`))
    const required = fallback === undefined && !optional ? 'required' : ''
    return description === undefined ? children : [{ key: path, type: 'map', default: required, description, restart }, ...children]
  }
  if (d.type === 'array' && d.element !== undefined) {
    const items = walk(d.element, `${path}[]`)
    const scalar = items.length === 1 && items[0]?.key === `${path}[]`
    const row = {
      key: path,
      type: scalar ? `list of ${items[0]?.type ?? ''}` : 'list',
      default: fallback === undefined ? '' : JSON.stringify(fallback),
      description: description ?? '',
      restart
    }
    return scalar ? [row] : [row, ...items]
  }
  const shown = d.type === 'enum' && d.entries !== undefined ? Object.keys(d.entries).join(' \\| ') : d.type
  return [{
    key: path,
    type: type ?? shown,
    default: fallback === undefined ? (optional ? '' : 'required') : String(fallback),
    description: description ?? '',
    restart
  }]
}

/** The reference as the Markdown table the README carries (`npm run docs:config` writes it). */
export function renderConfigReference (): string {
  const lines = ['| key | type | default | description |', '|---|---|---|---|']
  for (const r of configReference()) {
    const fallback = r.default === '' || r.default === 'required' ? r.default : `\`${r.default}\``
    const description = r.restart ? `${r.description} Needs a restart.` : r.description
    lines.push(`| \`${r.key}\` | ${r.type} | ${fallback} | ${description.replaceAll('|', '\\|')} |`)
  }
  return lines.join('\n')
}

/** The keys marked `restartOnly` in the schema, as YAML paths (`server.port`). */
export function restartOnlyKeys (): string[] {
  return configReference().filter((r) => r.restart).map((r) => r.key)
}
