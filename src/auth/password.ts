import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { DEFAULT_SCRYPT, memoryBytes, parsePasswordHash, type ScryptParams } from '../config/password-hash.ts'

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
