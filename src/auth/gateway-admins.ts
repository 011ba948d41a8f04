import { hash, timingSafeEqual } from 'node:crypto'
import type { Identity } from './identity.ts'
import { identityMatcher } from './identity-match.ts'

/** `gatewayAdmins:` of one configuration, compiled. */
export interface GatewayAdmins {
  /** Whether a signed-in identity is a gateway administrator: a file user named in `users`, or a member of one of `groups`. */
  isAdmin (identity: Identity): boolean
  /** Whether an `Authorization` header carries one of `apiTokens` as `Bearer`. */
  isAdminToken (authorization: string | undefined): boolean
}

/** Options for {@link createGatewayAdmins}: the section as the schema parsed it. */
export interface GatewayAdminsOptions { users: readonly string[], groups: readonly string[], apiTokens: readonly string[] }

/**
 * Matches identities as access rules and forward auth's apps do: a file user by name (a directory, single
 * sign-on or auth-proxy user of the same name is someone else), anyone by their groups.
 */
export function createGatewayAdmins (opts: GatewayAdminsOptions): GatewayAdmins {
  const digests = opts.apiTokens.map(digest)
  return {
    isAdmin: identityMatcher(opts.users, opts.groups),
    isAdminToken (authorization) {
      const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '')
      if (match === null || digests.length === 0) return false
      const given = digest(match[1] as string)
      // SECURITY: every configured token is compared, each in constant time over fixed-length digests, so the
      // answer's timing tells neither which token nor how much of one matched.
      let found = false
      for (const d of digests) found = timingSafeEqual(d, given) || found
      return found
    }
  }
}

function digest (token: string): Buffer {
  return hash('sha256', token, 'buffer')
}
