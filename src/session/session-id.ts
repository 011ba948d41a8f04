import { hash, randomBytes } from 'node:crypto'

/** 32 random bytes = 256 bits, base64url without padding: 43 characters. */
const ID_BYTES = 32
const ID_FORMAT = /^[A-Za-z0-9_-]{43}$/

/** A new session id: 256 bits from the CSPRNG, base64url. */
export function newSessionId (): string {
  return randomBytes(ID_BYTES).toString('base64url')
}

/** True when text has the shape of a session id; anything else is refused before touching the store. */
export function isSessionId (text: string): boolean {
  return ID_FORMAT.test(text)
}

/**
 * The store key part for an id: its SHA-256, base64url. The id itself is never stored. One-shot
 * `crypto.hash` (Node ≥ 20.12): a third of `createHash`'s cost, on every proxied request.
 */
export function hashSessionId (id: string): string {
  return hash('sha256', id, 'base64url')
}

/** A short, non-secret reference for logs: the first 12 characters of the id's hash, taken from a store key. */
export function sessionRef (key: string): string {
  return key.slice(-43, -31)
}
