import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

/** scrypt cost parameters as encoded in a hash string. */
export interface ScryptParams { ln: number, r: number, p: number }

/** Default cost: N = 2^14, r = 8, p = 1: ~50 ms per hash on the reference machine, 16 MiB of memory. */
export const DEFAULT_SCRYPT: ScryptParams = { ln: 14, r: 8, p: 1 }

interface ParsedHash { params: ScryptParams, salt: Buffer, hash: Buffer }

/** Largest scrypt memory a hash may ask for (128 · N · r bytes). */
const MAX_MEMORY_BYTES = 256 * 1024 * 1024
const memoryBytes = ({ ln, r }: ScryptParams): number => 128 * 2 ** ln * r

const FORMAT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,})\$([A-Za-z0-9+/]{43,})$/

/**
 * Parses `$scrypt$ln=14,r=8,p=1$<salt>$<hash>` (PHC string format, unpadded base64).
 * Returns undefined for any other text, or for parameters outside sane bounds.
 */
export function parsePasswordHash (encoded: string): ParsedHash | undefined {
  const m = FORMAT.exec(encoded)
  if (m === null) return undefined
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) }
  // SECURITY: bounded so a config typo cannot make every sign-in allocate gigabytes.
  if (params.ln < 10 || params.r < 1 || params.p < 1 || params.p > 16 || memoryBytes(params) > MAX_MEMORY_BYTES) return undefined
  return { params, salt: Buffer.from(m[4] as string, 'base64'), hash: Buffer.from(m[5] as string, 'base64') }
}

/** Hashes a password with a fresh 16-byte salt; the result goes into a user's `passwordHash`. */
export async function hashPassword (password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(16)
  const hash = await derive(password, salt, params, 32)
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(hash)}`
}

/**
 * Checks a password against an encoded hash in constant time. Hashing runs in libuv's thread pool,
 * never on the event loop. Resolves false for a malformed hash.
 */
export async function verifyPassword (password: string, encoded: string): Promise<boolean> {
  const parsed = parsePasswordHash(encoded)
  if (parsed === undefined) return false
  const actual = await derive(password, parsed.salt, parsed.params, parsed.hash.length)
  return timingSafeEqual(actual, parsed.hash)
}

function derive (password: string, salt: Buffer, { ln, r, p }: ScryptParams, length: number): Promise<Buffer> {
  const N = 2 ** ln
  const options: ScryptOptions = { N, r, p, maxmem: 2 * memoryBytes({ ln, r, p }) }
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, options, (err, key) => err === null ? resolve(key) : reject(err))
  })
}

/**
 * A hash that no password matches, as costly as the costliest of `samples`: unknown users are
 * checked against it so they take as long as a wrong password (htpasswd stores return early).
 */
export function dummyPasswordHash (samples: readonly string[]): string {
  const costs = samples.map((h) => parsePasswordHash(h)?.params).filter((p) => p !== undefined)
  const params = costs.reduce<ScryptParams | undefined>((a, b) => a === undefined || cost(b) > cost(a) ? b : a, undefined) ?? DEFAULT_SCRYPT
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(randomBytes(16))}$${b64(randomBytes(32))}`
}

function cost ({ ln, r, p }: ScryptParams): number {
  return 2 ** ln * r * p
}

function b64 (buf: Buffer): string {
  return buf.toString('base64').replace(/=+$/, '')
}
