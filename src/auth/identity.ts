/**
 * Where an identity was proven: the `users:` list of the config, the LDAP directory, or an OpenID Connect
 * provider (`oidc:`).
 */
export type IdentitySourceName = 'file' | 'ldap' | 'oidc'

/**
 * Who a signed-in user is, whatever proved it: one shape for every identity source, so sessions and
 * access rules never depend on where an identity came from.
 */
export interface Identity {
  /** The sign-in name, as the user typed it. */
  name: string
  source: IdentitySourceName
  /**
   * Group names: a file user's `groups:`, the directory groups found at the last check, or the groups the
   * identity provider stated at sign-in (kept for the session).
   */
  groups: string[]
}
