import type { Identity } from './identity.ts'

/**
 * Whether an identity is among `users` (file users, by name) or in one of `groups`: how gateway
 * administrators and forward auth's apps name who they admit.
 * SECURITY: namesakes. A directory, provider or auth-proxy identity named like a listed file user is someone
 * else: admitted only by its groups.
 */
export function identityMatcher (users: readonly string[], groups: readonly string[]): (identity: Identity) => boolean {
  const names = new Set(users)
  const named = new Set(groups)
  return (identity) => (identity.source === 'file' && names.has(identity.name)) || identity.groups.some((g) => named.has(g))
}
