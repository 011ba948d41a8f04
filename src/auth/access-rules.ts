import type { AccessRule } from '../config/identity-schema.ts'
import type { MintConfig, MintSpec } from '../config/influx-permissions.ts'
import type { ConfigUser } from '../config/schema.ts'
import { compileDatabaseScope, type DatabaseScope, type DatabaseScopeConfig } from './database-scope.ts'
import type { Identity } from './identity.ts'

/**
 * The credential InfluxDB gets for an identity: exactly one of the four is set. `mint` names no secret:
 * the token is minted for each session (see src/mint/token-minter.ts) and sent as a `token`.
 */
export interface UpstreamCredential {
  token?: string
  basic?: { username: string, password: string }
  jwt?: { username: string }
  mint?: MintSpec
  /**
   * InfluxDB 3: what the rule lets it do there (`databases:`, `admin:`), enforced by the gateway; not a
   * credential, carried with it. Undefined: the rule names neither (in front of InfluxDB 3 it grants nothing).
   */
  scope?: DatabaseScope
}

/** Options for {@link createAccessRules}: one config's `users:` and `access:`. */
export interface AccessRulesOptions {
  users: readonly ConfigUser[]
  rules: readonly AccessRule[]
}

/** Maps a signed-in identity to the upstream credential it gets. */
export interface AccessRules {
  /**
   * A file user's own credential; else the first rule whose matcher accepts the identity; else undefined
   * (the identity may not reach InfluxDB at all).
   */
  credentialFor (identity: Identity): UpstreamCredential | undefined
}

interface CompiledRule { matches: (identity: Identity) => boolean, credential: UpstreamCredential }

/**
 * The access rules of one configuration, compiled once: the one place that decides which credential an
 * identity gets, whatever source proved it. Rules are tried in order and the first match wins.
 */
export function createAccessRules ({ users, rules }: AccessRulesOptions): AccessRules {
  const own = new Map(users.flatMap((u) => {
    const credential = credentialOf(u)
    return credential === undefined ? [] : [[u.name, credential] as const]
  }))
  const compiled = rules.flatMap((rule) => {
    const credential = credentialOf(rule)
    return credential === undefined ? [] : [{ matches: matcherOf(rule), credential }]
  }) satisfies CompiledRule[]
  return {
    credentialFor (identity) {
      if (identity.source === 'file') {
        const credential = own.get(identity.name)
        if (credential !== undefined) return credential
      }
      return compiled.find((rule) => rule.matches(identity))?.credential
    }
  }
}

function matcherOf (rule: AccessRule): (identity: Identity) => boolean {
  const group = rule.group
  if (group !== undefined) return (identity) => identity.groups.includes(group)
  return () => false
}

/** A configured entry's credential fields as the schema gives them. */
type CredentialEntry = Omit<UpstreamCredential, 'scope' | 'mint'> & { mint?: MintConfig } & DatabaseScopeConfig

/** The one credential an entry carries (the schema allows exactly one), with its InfluxDB 3 scope, or undefined. */
function credentialOf (entry: CredentialEntry): UpstreamCredential | undefined {
  const credential = credentialIn(entry)
  if (credential === undefined) return undefined
  const scope = compileDatabaseScope(entry)
  return scope === undefined ? credential : { ...credential, scope }
}

function credentialIn (entry: CredentialEntry): UpstreamCredential | undefined {
  if (entry.token !== undefined) return { token: entry.token }
  if (entry.basic !== undefined) return { basic: entry.basic }
  if (entry.jwt !== undefined) return { jwt: entry.jwt }
  if (entry.mint !== undefined) return { mint: mintSpecOf(entry.mint, entry) }
  return undefined
}

/**
 * What a `mint` credential mints from: InfluxDB 2's org and permissions, or (`mint: {}`) InfluxDB 3's rule,
 * its `databases:` and `admin:`. One object per configuration: a session's token is tied to its digest.
 */
export function mintSpecOf (mint: MintConfig, entry: DatabaseScopeConfig): MintSpec {
  if (mint.org !== undefined && mint.permissions !== undefined) return { org: mint.org, permissions: mint.permissions }
  return { databases: { read: entry.databases?.read ?? [], write: entry.databases?.write ?? [] }, admin: entry.admin === true }
}
