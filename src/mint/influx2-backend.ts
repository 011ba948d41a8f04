import type { Influx2MintSpec } from '../config/influx-permissions.ts'
import type { InfluxAdminClient } from './influx-admin-client.ts'
import type { MintBackend } from './mint-backend.ts'
import { mintMarker } from './mint-marker.ts'
import { influxPermissions } from './mint-spec.ts'
import { createTtlCache } from './ttl-cache.ts'

/** Options for {@link createInflux2Backend}. */
export interface Influx2BackendOptions {
  client: InfluxAdminClient
  now: () => number
  /** Tells this gateway's authorizations from others': see `TokenMinterOptions.namespace`. */
  namespace: string
}

/** Names and IDs looked up in InfluxDB are believed this long. */
const LOOKUP_TTL_MS = 10 * 60_000

/**
 * InfluxDB 2's minting: an authorization with the spec's permissions in its org (for the InfluxDB user of
 * the same name, when there is one), its description marking it as this gateway's and naming the session's
 * ref; org, user and bucket IDs looked up once and cached.
 */
export function createInflux2Backend (opts: Influx2BackendOptions): MintBackend {
  const { client } = opts
  const marker = mintMarker(opts.namespace)
  const lookups = createTtlCache<string | undefined>(opts.now, LOOKUP_TTL_MS, 10_000)
  return {
    async mint (identity, spec, ref) {
      const { org } = spec as Influx2MintSpec
      const orgID = await lookups.get(`org ${org}`, () => client.orgId(org)) as string
      const [userID, permissions] = await Promise.all([
        lookups.get(`user ${identity.name}`, () => client.userId(identity.name)),
        influxPermissions(spec as Influx2MintSpec, orgID, {
          bucketId: (o, name) => lookups.get(`bucket ${o} ${name}`, () => client.bucketId(o, name))
        })
      ])
      const description = `${marker}${ref} of ${identity.name}`
      const created = await client.createAuthorization({ orgID, ...(userID === undefined ? {} : { userID }), description, permissions })
      return { authId: created.id, token: created.token }
    },
    // SECURITY: the id comes from a session record, which whoever can write to Redis can forge: only an
    // authorization that carries this gateway's marker is deleted with the operator token, never a
    // foreign one (another application's token, the operator token itself).
    async remove (authId) {
      const found = await client.authorization(authId)
      if (found !== undefined && !found.description.startsWith(marker)) return false
      if (found !== undefined) await client.deleteAuthorization(authId)
      return true
    },
    list: async () => (await client.listAuthorizations()).map((a) => ({ id: a.id, label: a.description, createdAt: a.createdAt })),
    delete: (id) => client.deleteAuthorization(id)
  }
}
