import type { Identity } from './identity.ts'

/** Which claims are the name and the groups (`oidc.usernameClaim`, `oidc.groupsClaim`). */
export interface ClaimMapping { usernameClaim: string, groupsClaim: string }

/** Longest user name or group name taken from a token, and most groups kept. */
const MAX_NAME = 256
const MAX_GROUPS = 1000

/**
 * The identity the provider's claims describe: the name from `usernameClaim` (a non-empty string), the
 * groups from `groupsClaim` (a list of strings, or one string; none when absent). Undefined when the
 * name is missing or unusable.
 */
export function oidcIdentity (claims: Record<string, unknown>, mapping: ClaimMapping): Identity | undefined {
  const name = claim(claims, mapping.usernameClaim)
  if (typeof name !== 'string' || name === '' || name.length > MAX_NAME) return undefined
  const raw = claim(claims, mapping.groupsClaim)
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : []
  const groups = [...new Set(list.filter((g): g is string => typeof g === 'string' && g !== '' && g.length <= MAX_NAME))]
  return { name, source: 'oidc', groups: groups.slice(0, MAX_GROUPS) }
}

/** Longest `sub` or `sid` kept (`sub` is at most 255 ASCII characters; `sid` is bounded alike). */
const MAX_PROVIDER_ID = 255

/**
 * The provider's session a sign-in came from, as back-channel logout names it: the ID token's `sub`, and its
 * `sid` when the provider sent one (a provider that sends none logs out by subject). Undefined without a
 * usable `sub` (then no back-channel logout can name the session; it ends as any other does).
 */
export function providerSessionOf (claims: Record<string, unknown>): { sub: string, sid?: string } | undefined {
  const usable = (value: unknown): value is string => typeof value === 'string' && value !== '' && value.length <= MAX_PROVIDER_ID
  const { sub, sid } = claims
  if (!usable(sub)) return undefined
  return usable(sid) ? { sub, sid } : { sub }
}

/**
 * A claim by name; when no claim has that exact name (Auth0 names them by URL, dots included), a dotted
 * path into nested claims (`realm_access.roles`).
 */
function claim (claims: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(claims, name)) return claims[name]
  let value: unknown = claims
  for (const part of name.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, part)) return undefined
    value = (value as Record<string, unknown>)[part]
  }
  return value
}
