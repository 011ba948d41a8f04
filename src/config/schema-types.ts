import { BlockList, isIP } from 'node:net'
import { z } from 'zod'
import { canonicalPath } from '../route-rules.ts'
import { parseDuration } from './duration.ts'

/** Longest duration accepted anywhere (a year): beyond it cookie dates stop being dates. */
const MAX_DURATION_MS = 366 * 86_400_000

/** Building blocks of the config schema: each value type validates, parses and names itself for the docs. */

/** Bounds of a {@link duration}. */
export interface DurationBounds {
  /** The shortest value that makes sense for the key, e.g. `1s`; `0ms` only where zero means something documented. */
  min: string
}

/**
 * A duration such as `30s`, parsed to milliseconds, at least `bounds.min` (a zero idle timeout or
 * `upstream.timeout` would pass as valid and break every request).
 * @throws Error at definition time when `fallback` or `bounds.min` is not a valid duration or the fallback is below the minimum
 */
export const duration = (fallback: string, bounds: DurationBounds) => {
  const minMs = parseDuration(bounds.min)
  const fallbackMs = parseDuration(fallback)
  if (minMs === undefined || fallbackMs === undefined || fallbackMs < minMs) {
    throw new Error(`bad duration default ${fallback} (min ${bounds.min})`)
  }
  return z.string()
    .meta({ type: minMs === 0 ? 'duration' : `duration ≥ ${bounds.min}` })
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDuration(text)
      const problem = ms === undefined
        ? 'invalid duration (write e.g. 500ms, 90s, 10m, 8h)'
        : ms > MAX_DURATION_MS ? 'longer than a year' : ms < minMs ? `must be at least ${bounds.min}` : undefined
      if (problem !== undefined) {
        ctx.addIssue({ code: 'custom', message: problem })
        return z.NEVER
      }
      return ms as number
    })
}

/** Integers written directly or through `${VAR}` (which always yields a string). */
export const integer = (min: number, max: number) => z.preprocess(
  (v) => typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v,
  z.number().int().min(min).max(max)
).meta({ type: `integer ${min}–${max}` })

/** Booleans written directly or through `${VAR}`. */
export const boolean = z.preprocess((v) => v === 'true' ? true : v === 'false' ? false : v, z.boolean()).meta({ type: 'boolean' })

/** A secret after `${VAR}` or `{ file: PATH }` has been resolved by the loader. */
export const secret = z.string().min(1, 'must not be empty').meta({ type: 'secret' })

/** A key that signs records: a secret of at least 32 bytes (HMAC-SHA256's strength; a short one could be guessed offline). */
export const recordKey = z.string()
  .refine((key) => Buffer.byteLength(key) >= 32, 'too short: at least 32 bytes (e.g. openssl rand -base64 32)')
  .meta({ type: 'secret ≥ 32 bytes' })

/** An IP address or CIDR block, e.g. `10.0.0.0/8`, `::1`. */
export const cidr = z.string().refine((text) => parseCidr(text) !== undefined, 'not an IP address or CIDR block')
  .meta({ type: 'CIDR' })

/** Splits `10.0.0.0/8` (or a bare address) into address, prefix length and family. */
export function parseCidr (text: string): { address: string, prefix: number, family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', bits, extra] = text.trim().split('/')
  const version = isIP(address)
  if (version === 0 || extra !== undefined) return undefined
  const max = version === 4 ? 32 : 128
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN
  if (!(prefix >= 0 && prefix <= max)) return undefined
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' }
}

/** A BlockList holding the given CIDR blocks (validated by {@link cidr}). */
export function cidrBlockList (blocks: readonly string[]): BlockList {
  const list = new BlockList()
  for (const block of blocks) {
    const parsed = parseCidr(block)
    if (parsed !== undefined) list.addSubnet(parsed.address, parsed.prefix, parsed.family)
  }
  return list
}

/** A browser origin exactly as browsers send it: `scheme://host[:port]`, nothing after. */
export const origin = z.string().refine((text) => {
  try {
    const url = new URL(text)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === text
  } catch {
    return false
  }
}, 'not an origin: write scheme://host[:port] with no path or trailing slash').meta({ type: 'origin' })

/** `METHOD /path`, e.g. `GET /api/v2/me`, stored with the path canonical (as requests are matched). */
export const routeRule = z.string()
  .regex(/^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) \/\S*$/, 'write METHOD /path, e.g. GET /api/v2/me')
  .transform((rule) => {
    const [method, path] = rule.split(' ') as [string, string]
    return `${method} ${canonicalPath(path)}`
  })
  .meta({ type: 'METHOD /path' })

/** A URL path prefix such as `/gateway`, stored canonical (as requests are matched). */
export const pathPrefix = z.string()
  .regex(/^\/[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*\/?$/, 'write a path such as /gateway')
  .transform((p) => canonicalPath(p))
  .meta({ type: 'path' })
