/**
 * The format of a user's `passwordHash` (scrypt, PHC string format) and its bounds: what the config
 * loader accepts and what the password check reads. A leaf of `config/`, so that the schema need not
 * import `auth/` (which imports the schema's types).
 */

/** scrypt cost parameters as encoded in a hash string. */
export interface ScryptParams { ln: number, r: number, p: number }

/** Default cost: N = 2^14, r = 8, p = 1: ~50 ms per hash on the reference machine, 16 MiB of memory. */
export const DEFAULT_SCRYPT: ScryptParams = { ln: 14, r: 8, p: 1 }

export interface ParsedHash { params: ScryptParams, salt: Buffer, hash: Buffer }

/** Largest scrypt memory a hash may ask for (128 · N · r bytes). */
const MAX_MEMORY_BYTES = 256 * 1024 * 1024
/** The memory scrypt needs for these parameters (128 · N · r bytes). */
export const memoryBytes = ({ ln, r }: ScryptParams): number => 128 * 2 ** ln * r

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
