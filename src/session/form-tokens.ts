import { createHmac, timingSafeEqual } from 'node:crypto'

/** The per-session CSRF tokens of the sessions page's forms. */
export interface FormTokens {
  /** The token of the forms shown to the session `sessionId`: an HMAC of the id, never the id. */
  tokenFor (sessionId: string): string
  /** Whether `given` is the token of the session `sessionId` (constant time). */
  check (sessionId: string, given: string | undefined): boolean
}

/**
 * Form tokens under `key` (derived from the record key: the same on every replica, so a form one replica
 * rendered is accepted by the next). A token is bound to the session it was shown to: another session's
 * token, or one of an ended session, is refused.
 */
export function createFormTokens (key: Buffer): FormTokens {
  const tokenFor = (sessionId: string): string => createHmac('sha256', key).update(sessionId).digest('base64url')
  return {
    tokenFor,
    check (sessionId, given) {
      if (given === undefined) return false
      const expected = Buffer.from(tokenFor(sessionId))
      const actual = Buffer.from(given)
      // SECURITY: CSRF; compared in constant time so the timing tells nothing of the expected token.
      return actual.length === expected.length && timingSafeEqual(actual, expected)
    }
  }
}
