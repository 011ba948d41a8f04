import { hash } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { ExpirySweeper } from './expiry-sweeper.ts'
import type { ProviderLogout, ProviderSession } from './session-store.ts'

/** What the index needs of a client: satisfied by ioredis `Redis` and by ioredis-mock. */
export type ProviderSessionIndexClient = Pick<Redis, 'multi' | 'smembers'>

/** Options for {@link createProviderSessionIndex}. */
export interface ProviderSessionIndexOptions {
  client: ProviderSessionIndexClient
  /** Prefix of every key, e.g. `influx-gateway:`. */
  keyPrefix: string
  now: () => number
  /** In process: active expiry of the index's keys (ioredis-mock frees an expired key only when it is read). */
  sweeper?: ExpirySweeper
}

/**
 * From an identity provider's session (`sid`) and subject (`sub`) to the gateway names single sign-on
 * sessions of theirs were started under; each name's sessions are then found in the per-identity index
 * (src/session/identity-session-index.ts). The name is the `usernameClaim`, not the subject, hence this step.
 */
export interface ProviderSessionIndex {
  /** A session of `name`, living `livesMs` at most (its absolute timeout), was started from `provider`. */
  add (provider: ProviderSession, name: string, livesMs: number): Promise<void>
  /** The names sessions of the provider session (`sid`), else of the subject (`sub` alone), were started under. */
  names (logout: ProviderLogout): Promise<string[]>
}

/**
 * Most names one provider session or subject is indexed under: a subject's name changes rarely (a renamed
 * account); past this the set is not grown, so no provider answer can grow a key without bound.
 */
export const MAX_NAMES = 16

/**
 * The index as small Redis sets of names, `<prefix>oidc-sid:<sha256(sid)>` and `<prefix>oidc-sub:<sha256(sub)>`,
 * each living as long as the newest session it names can (a session never outlives the absolute timeout
 * in force, which every sign-in sets the TTL to). Nothing in it is secret, and nothing in it is trusted:
 * a session ends only when its own signed record names the provider session.
 */
export function createProviderSessionIndex (opts: ProviderSessionIndexOptions): ProviderSessionIndex {
  const { client, keyPrefix } = opts
  const bySid = (sid: string): string => `${keyPrefix}oidc-sid:${hash('sha256', sid, 'base64url')}`
  const bySub = (sub: string): string => `${keyPrefix}oidc-sub:${hash('sha256', sub, 'base64url')}`
  return {
    async add (provider, name, livesMs) {
      const keys = [bySub(provider.sub), ...(provider.sid === undefined ? [] : [bySid(provider.sid)])]
      const sizes = client.multi()
      for (const key of keys) sizes.smembers(key)
      const members = (await sizes.exec() ?? []).map(([, m]) => Array.isArray(m) ? m as string[] : [])
      const write = client.multi()
      keys.forEach((key, i) => {
        const known = members[i] ?? []
        // SECURITY: bounded whatever the provider's claims: a subject that keeps changing names stops growing the set.
        if (!known.includes(name) && known.length < MAX_NAMES) write.sadd(key, name)
        write.pexpire(key, livesMs)
      })
      await write.exec()
      const dueAt = opts.now() + livesMs
      for (const key of keys) opts.sweeper?.track(key, dueAt)
    },
    async names (logout) {
      const key = logout.sid !== undefined ? bySid(logout.sid) : bySub(logout.sub as string)
      return (await client.smembers(key)).slice(0, MAX_NAMES)
    }
  }
}
