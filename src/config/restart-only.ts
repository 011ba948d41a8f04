import { z } from 'zod'

/**
 * Whether a configuration key reloads live or needs a restart is a property of the key, declared next to
 * it in the schema with {@link restartOnly}. The reload (which logs such a change by name and leaves it
 * unapplied) and the generated configuration reference (which says "Needs a restart.") both read it from
 * there, so neither can drift from the other.
 */

/** What the schema's metadata may say about reloading. */
interface ReloadMeta { restart?: boolean }

/**
 * Marks `schema` as read once at start: a reload that changes it logs it as needing a restart and
 * does not apply it. Its description and other metadata are kept.
 */
export function restartOnly<T extends z.ZodType> (schema: T): T {
  return schema.meta({ ...schema.meta(), restart: true }) as T
}

/** Whether this node of the schema (one layer of its wrappers) is marked {@link restartOnly}. */
export function isRestartOnly (schema: z.ZodType): boolean {
  return (z.globalRegistry.get(schema) as ReloadMeta | undefined)?.restart === true
}
