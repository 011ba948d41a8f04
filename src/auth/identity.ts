/** Where an identity was proven: the `users:` list of the config, or the LDAP directory. */
export type IdentitySourceName = 'file' | 'ldap'

/**
 * Who a signed-in user is, whatever proved it: one shape for every identity source, so sessions and
 * access rules never depend on where an identity came from.
 */
export interface Identity {
  /** The sign-in name, as the user typed it. */
  name: string
  source: IdentitySourceName
  /** Group names: a file user's `groups:`, or the directory groups found at the last check. */
  groups: string[]
}
