import type { Identity, IdentitySourceName } from './identity.ts'

/** The result of checking a name and password against one source. */
export type VerifyOutcome =
  /** The password is right; `stamp` ties a file user's session to the password hash it began under. */
  | { outcome: 'ok', identity: Identity, stamp?: string }
  /** The password is right but the account is disabled. */
  | { outcome: 'disabled', identity: Identity }
  /** A wrong password (`userKnown`) or a name the source does not know. */
  | { outcome: 'invalid', source: IdentitySourceName, userKnown: boolean }

/** The current state of a signed-in identity, read again while its session is used. */
export type LookupOutcome = { outcome: 'found', identity: Identity } | { outcome: 'gone' }

/**
 * A place identities come from (the `users:` file, an LDAP directory). Implementations must not reveal
 * through timing whether a name exists, and must bound their work (the shared hash/bind limiter).
 */
export interface IdentitySource {
  readonly name: IdentitySourceName
  /**
   * Checks a password. A source that cannot answer (a directory down or too slow) rejects with a
   * 503 GatewayError, never resolves `invalid`.
   */
  verify (name: string, password: string): Promise<VerifyOutcome>
  /** The identity as it stands now (groups re-read), or `gone` when it was removed or disabled. */
  lookup (name: string): Promise<LookupOutcome>
}

/** What sign-in needs: one `verify` across every configured source. */
export type IdentityVerifier = Pick<IdentitySource, 'verify'>
