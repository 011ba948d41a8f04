import { hash } from 'node:crypto'
import type { WorkLimiter } from './work-limiter.ts'
import type { ConfigUser } from '../config/schema.ts'
import type { UserStore, VerifyResult } from './user-store.ts'
import { dummyPasswordHash, verifyPassword } from './password.ts'

/** Options for {@link createFileUserStore}. */
export interface FileUserStoreOptions {
  users: readonly ConfigUser[]
  /** Shared by every store the process builds (config reloads), so the bound holds across them. */
  hashLimiter: WorkLimiter
}

/** A user store over the `users:` list of the YAML config. */
export function createFileUserStore ({ users, hashLimiter }: FileUserStoreOptions): UserStore {
  const byName = new Map(users.map((u) => [u.name, { ...u, stamp: passwordStamp(u.passwordHash) }]))
  const dummyHash = dummyPasswordHash(users.map((u) => u.passwordHash))
  return {
    async verify (name: string, password: string): Promise<VerifyResult> {
      const user = byName.get(name)
      // SECURITY: always hash, so timing does not tell whether the user exists.
      const matches = await hashLimiter.run(() => verifyPassword(password, user?.passwordHash ?? dummyHash))
      if (user === undefined || !matches) return { outcome: 'invalid', userKnown: user !== undefined }
      return user.disabled ? { outcome: 'disabled', user } : { outcome: 'ok', user }
    },
    find: (name) => byName.get(name),
    size: () => byName.size
  }
}

/** 96 bits of the password hash's SHA-256: tells hashes apart, says nothing about the password. */
function passwordStamp (passwordHash: string): string {
  return hash('sha256', passwordHash, 'base64url').slice(0, 16)
}
