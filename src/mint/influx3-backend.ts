import { compileDatabaseScope } from '../auth/database-scope.ts'
import type { Influx3MintSpec } from '../config/influx-permissions.ts'
import { InfluxAdminError } from './influx-admin-client.ts'
import type { Influx3AdminClient, Influx3BuildInfo, Influx3Permission } from './influx3-admin-client.ts'
import type { MintBackend } from './mint-backend.ts'
import { mintMarker } from './mint-marker.ts'
import { createTtlCache } from './ttl-cache.ts'

/** Options for {@link createInflux3Backend}. */
export interface Influx3BackendOptions {
  client: Influx3AdminClient
  /** The upstream URL now: the build is learned per URL (a reload may point elsewhere). */
  url: () => string
  now: () => number
  /** Tells this gateway's tokens from others': see `TokenMinterOptions.namespace`. */
  namespace: string
  /** A minted token's lifetime, s: the session's absolute timeout, read live. */
  expirySecs: () => number
}

/** Core or Enterprise, once learned for a URL, is believed this long (an upgrade in place is seen within it). */
const BUILD_TTL_MS = 10 * 60_000

/**
 * InfluxDB 3's minting: a token named after the gateway's marker, the session's ref and its user (so the
 * sweep tells its own, and InfluxDB's logs name who), expiring with the session's absolute timeout. On
 * Enterprise, a resource token of the rule's databases — globs expanded against the databases that exist
 * now, since InfluxDB 3 takes only existing names (or `*` alone) — unless the rule has `admin: true`
 * (a resource token reaches no administration route); on Core, where every token is an admin token, a
 * named admin token, the gateway's rules doing the limiting. The authorization id is the token's name.
 */
export function createInflux3Backend (opts: Influx3BackendOptions): MintBackend {
  const { client } = opts
  const marker = mintMarker(opts.namespace)
  const builds = createTtlCache<Influx3BuildInfo>(opts.now, BUILD_TTL_MS, 16)
  return {
    async mint (identity, spec, ref) {
      const { databases, admin } = spec as Influx3MintSpec
      const name = `${marker}${ref} of ${identity.name}`
      const { build } = await builds.get(opts.url(), () => client.build())
      if (build === 'Core' || admin) {
        // SECURITY: a named admin token may do anything in InfluxDB 3: it only ever goes upstream, sealed at
        // rest, never to a client; the gateway's database rules limit what the session does with it.
        const made = await client.createNamedAdminToken(name, opts.expirySecs())
        return { authId: name, token: made.token }
      }
      const permissions = resourcePermissions(databases, await client.listDatabases())
      if (permissions.length === 0) throw new InfluxAdminError(403, 'no existing database matches the rule\'s databases')
      const made = await client.createResourceToken(name, permissions, opts.expirySecs())
      return { authId: name, token: made.token }
    },
    // SECURITY: the name comes from a session record, which whoever can write to Redis can forge: only a
    // token whose name carries this gateway's marker is deleted with the operator token, never `_admin`
    // (InfluxDB 3 refuses that one anyway) or another application's.
    async remove (name) {
      if (!name.startsWith(marker)) return false
      await client.deleteToken(name)
      return true
    },
    list: async () => (await client.listTokens()).map((t) => ({ id: t.name, label: t.name, createdAt: t.createdAt })),
    delete: (name) => client.deleteToken(name)
  }
}

/**
 * The rule's databases as Enterprise resource permissions over `existing`: each existing database the rule
 * may read or write (by the gateway's own matching: a glob never reaches `_internal` or a `<db>/<rp>`
 * database unless written so), grouped by actions. Empty when none matches.
 */
export function resourcePermissions (databases: Influx3MintSpec['databases'], existing: readonly string[]): Influx3Permission[] {
  const scope = compileDatabaseScope({ databases })
  if (scope === undefined) return []
  const byActions = new Map<string, string[]>()
  for (const db of [...new Set(existing)].sort()) {
    const actions = [scope.canRead(db) ? 'read' : '', scope.canWrite(db) ? 'write' : ''].filter(Boolean).join(',')
    if (actions !== '') byActions.set(actions, [...byActions.get(actions) ?? [], db])
  }
  return [...byActions].map(([actions, names]) => ({
    resource_type: 'db', resource_names: names, actions: actions.split(',') as Influx3Permission['actions']
  }))
}
