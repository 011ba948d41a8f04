import type { IdentitySource, IdentityVerifier } from './identity-source.ts'

/**
 * Tries each source in order (the file users, then the directory) and answers with the first that knows
 * the name; a name no source knows gets the last source's `invalid`.
 * SECURITY: a name a source knows is decided there: a file user with a wrong password is refused, never
 * retried against the directory, so one name cannot be two identities depending on the password typed.
 */
export function createCompositeIdentitySource (sources: readonly IdentitySource[]): IdentityVerifier {
  if (sources.length === 0) throw new Error('at least one identity source is needed')
  return {
    async verify (name, password) {
      for (const [i, source] of sources.entries()) {
        const result = await source.verify(name, password)
        // SECURITY: the name a later source proves (the directory's own spelling of it) must not be one an
        // earlier source owns, or `Alice` could sign in as the file user `alice`'s name.
        if (result.outcome === 'ok' && await ownedEarlier(sources.slice(0, i), result.identity.name)) {
          return { outcome: 'invalid', source: result.identity.source, userKnown: false }
        }
        if (result.outcome !== 'invalid' || result.userKnown || i === sources.length - 1) return result
      }
      throw new Error('unreachable')
    }
  }
}

async function ownedEarlier (earlier: readonly IdentitySource[], name: string): Promise<boolean> {
  for (const source of earlier) if ((await source.lookup(name)).outcome === 'found') return true
  return false
}
