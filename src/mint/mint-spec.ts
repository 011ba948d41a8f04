import { hash } from 'node:crypto'
import { isInflux3Spec, parsePermission, type Influx2MintSpec, type MintSpec } from '../config/influx-permissions.ts'
import type { InfluxAdminClient, InfluxPermission } from './influx-admin-client.ts'
import { InfluxAdminError } from './influx-admin-client.ts'

const digests = new WeakMap<MintSpec, string>()

/**
 * A short digest of what a `mint` credential grants (InfluxDB 2: org and permissions; InfluxDB 3: the rule's
 * databases and admin; order aside), kept with the session: a request whose live rule mints something else
 * ends the session. Computed once per config object.
 */
export function specDigest (spec: MintSpec): string {
  let digest = digests.get(spec)
  if (digest === undefined) {
    const granted = isInflux3Spec(spec)
      ? ['influx3', [...spec.databases.read].sort(), [...spec.databases.write].sort(), spec.admin]
      : [spec.org, [...spec.permissions].sort()]
    digest = hash('sha256', JSON.stringify(granted), 'base64url').slice(0, 16)
    digests.set(spec, digest)
  }
  return digest
}

/** Looks names up in InfluxDB; the minter caches the answers. */
export type NameLookup = Pick<InfluxAdminClient, 'bucketId'>

/**
 * The permissions of a spec as InfluxDB's API takes them, each scoped to the org; a named bucket becomes
 * its ID. @throws InfluxAdminError 404 for a bucket that does not exist (a config that names it is wrong).
 */
export async function influxPermissions (spec: Influx2MintSpec, orgID: string, lookup: NameLookup): Promise<InfluxPermission[]> {
  return await Promise.all(spec.permissions.map(async (text) => {
    const p = parsePermission(text)
    if (typeof p === 'string') throw new InfluxAdminError(400, `invalid permission ${text}`) // the schema prevents it
    let id = p.id
    if (p.bucket !== undefined) {
      id = await lookup.bucketId(orgID, p.bucket)
      if (id === undefined) throw new InfluxAdminError(404, `bucket "${p.bucket}" not found in the organization`)
    }
    return { action: p.action, resource: { type: p.type, orgID, ...(id === undefined ? {} : { id }) } }
  }))
}
