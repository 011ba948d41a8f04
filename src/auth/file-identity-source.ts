import type { Identity } from './identity.ts'
import type { IdentitySource } from './identity-source.ts'
import type { User, UserStore } from './user-store.ts'

/** A file user as an identity: its `groups:` (empty when it has a credential of its own). */
export function fileIdentity (user: User): Identity {
  return { name: user.name, source: 'file', groups: user.groups ?? [] }
}

/** The identity source over the `users:` list (see `createFileUserStore` for the timing guarantees). */
export function createFileIdentitySource (users: UserStore): IdentitySource {
  return {
    name: 'file',
    async verify (name, password) {
      const checked = await users.verify(name, password)
      if (checked.outcome === 'invalid') return { outcome: 'invalid', source: 'file', userKnown: checked.userKnown }
      const identity = fileIdentity(checked.user)
      return checked.outcome === 'ok' ? { outcome: 'ok', identity, stamp: checked.user.stamp } : { outcome: 'disabled', identity }
    },
    async lookup (name) {
      const user = users.find(name)
      return user === undefined || user.disabled ? { outcome: 'gone' } : { outcome: 'found', identity: fileIdentity(user) }
    }
  }
}
