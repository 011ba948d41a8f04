/**
 * Where an identity was proven: the `users:` list of the config, the LDAP directory, an OpenID Connect
 * provider (`oidc:`), or a trusted auth proxy's headers (`authProxy:`; such an identity is asserted anew
 * on every request and never has a cookie; only one whose access rule mints has a session, an implicit one
 * that holds the token).
 */
export type IdentitySourceName = 'file' | 'ldap' | 'oidc' | 'proxy'

/**
 * Who a signed-in user is, whatever proved it: one shape for every identity source, so sessions and
 * access rules never depend on where an identity came from.
 */
export interface Identity {
  /** The sign-in name, as the user typed it. */
  name: string
  source: IdentitySourceName
  /**
   * Group names: a file user's `groups:`, the directory groups found at the last check, the groups the
   * identity provider stated at sign-in (kept for the session), or the auth proxy's groups header.
   */
  groups: string[]
}
