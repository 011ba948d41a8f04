import { randomBytes } from 'node:crypto'
import type { User, UserStore, VerifyResult } from './user-store.ts'
import { DEFAULT_SCRYPT, parsePasswordHash, verifyPassword } from './password.ts'

/** Options for {@link createFileUserStore}. */
export interface FileUserStoreOptions { users: readonly User[] }

/** A user store over the `users:` list of the YAML config. */
export function createFileUserStore ({ users }: FileUserStoreOptions): UserStore {
  const byName = new Map(users.map((u) => [u.name, u]))
  const dummyHash = createDummyHash(users[0]?.passwordHash)
  return {
    async verify (name: string, password: string): Promise<VerifyResult> {
      const user = byName.get(name)
      // SECURITY: always hash, so timing does not tell whether the user exists.
      const matches = await verifyPassword(password, user?.passwordHash ?? dummyHash)
      if (user === undefined || !matches) return { outcome: 'invalid', userKnown: user !== undefined }
      return user.disabled ? { outcome: 'disabled', user } : { outcome: 'ok', user }
    },
    find: (name) => byName.get(name),
    size: () => byName.size
  }
}

/**
 * A hash no password matches, with the cost of the configured hashes: unknown users are checked
 * against it so that they cost the same as a wrong password (the htpasswd stores return early).
 */
function createDummyHash (sample: string | undefined): string {
  const { ln, r, p } = (sample === undefined ? undefined : parsePasswordHash(sample)?.params) ?? DEFAULT_SCRYPT
  const b64 = (n: number) => randomBytes(n).toString('base64').replace(/=+$/, '')
  return `$scrypt$ln=${ln},r=${r},p=${p}$${b64(16)}$${b64(32)}`
}
