import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

/** AES-256-GCM: a 12-byte nonce, a 16-byte tag. */
const NONCE_BYTES = 12
const TAG_BYTES = 16
const SALT = 'influx-gateway minted token v1'

/**
 * The key a session's minted token is sealed with: HKDF-SHA256 of the session id, which no store ever
 * holds (they key on its hash), bound to the authorization it belongs to.
 */
function keyFor (sessionId: string, authId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', sessionId, SALT, `authorization ${authId}`, 32))
}

/**
 * Seals an InfluxDB token for a session's record: AES-256-GCM under a key derived from the session id,
 * the authorization id as associated data; base64url of nonce, ciphertext and tag.
 * SECURITY: a dump of the session store alone yields no usable token; the cookie is needed too.
 */
export function sealToken (sessionId: string, authId: string, token: string): string {
  const nonce = randomBytes(NONCE_BYTES)
  const cipher = createCipheriv('aes-256-gcm', keyFor(sessionId, authId), nonce)
  cipher.setAAD(Buffer.from(authId))
  const sealed = Buffer.concat([nonce, cipher.update(token, 'utf8'), cipher.final(), cipher.getAuthTag()])
  return sealed.toString('base64url')
}

/** The token {@link sealToken} sealed, or undefined when the id, the authorization or the bytes do not match. */
export function unsealToken (sessionId: string, authId: string, sealed: string): string | undefined {
  const bytes = Buffer.from(sealed, 'base64url')
  if (bytes.length <= NONCE_BYTES + TAG_BYTES) return undefined
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyFor(sessionId, authId), bytes.subarray(0, NONCE_BYTES))
    decipher.setAAD(Buffer.from(authId))
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES))
    return Buffer.concat([decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8')
  } catch {
    return undefined
  }
}
