import { isInflux3Spec, parsePermission, type MintSpec } from '../config/influx-permissions.ts'
import type { Config } from '../config/schema.ts'
import { mintSpecOf } from '../auth/access-rules.ts'
import { createInfluxAdminClient, type InfluxAdminClient, type InfluxAdminClientOptions } from './influx-admin-client.ts'
import { createInflux3AdminClient, type Influx3AdminClient } from './influx3-admin-client.ts'
import { checkInflux3MintingOnline } from './influx3-online-check.ts'
import { CHECK_CONFIG_DESCRIPTION } from './mint-marker.ts'

/** The longest one call may take. */
const TIMEOUT_MS = 10_000

/** Every `mint` credential of a config, with its YAML path, as the access rules compile it. */
function mintSpecs (config: Config): Array<{ path: string, spec: MintSpec }> {
  const specOf = (section: 'users' | 'access') => (entry: Config['access'][number] | Config['users'][number], i: number) =>
    entry.mint === undefined ? [] : [{ path: `${section}.${i}.mint`, spec: mintSpecOf(entry.mint, entry) }]
  return [...config.users.flatMap(specOf('users')), ...config.access.flatMap(specOf('access'))]
}

/**
 * What `check-config --online` asks InfluxDB: for each org a `mint` credential names, that the operator
 * token resolves it and can create and delete an authorization there; for each named bucket, that it
 * exists; for `mint: {}` (InfluxDB 3), src/mint/influx3-online-check.ts. Resolves to the problems, each
 * with the YAML path it concerns (none: minting will work).
 */
export async function checkMintingOnline (
  config: Config, clients: { influx2?: InfluxAdminClient, influx3?: Influx3AdminClient } = {}
): Promise<string[]> {
  const all = mintSpecs(config)
  const token = config.upstream.operatorToken
  if (all.length === 0 || token === undefined) return []
  const options: InfluxAdminClientOptions = {
    url: () => config.upstream.url, operatorToken: () => token, timeoutMs: () => Math.min(config.upstream.timeout, TIMEOUT_MS)
  }
  const influx3 = all.flatMap(({ path, spec }) => isInflux3Spec(spec) ? [{ path, spec }] : [])
  const specs = all.flatMap(({ path, spec }) => isInflux3Spec(spec) ? [] : [{ path, spec }])
  const problems = influx3.length === 0
    ? []
    : await checkInflux3MintingOnline(clients.influx3 ?? createInflux3AdminClient(options), influx3)
  if (specs.length === 0) return problems
  const admin = clients.influx2 ?? createInfluxAdminClient(options)
  const orgs = new Map<string, string | undefined>()
  for (const { path, spec } of specs) {
    if (!orgs.has(spec.org)) orgs.set(spec.org, await canMint(admin, spec.org, problems))
    const orgID = orgs.get(spec.org)
    if (orgID === undefined) continue
    for (const [i, text] of spec.permissions.entries()) {
      const p = parsePermission(text)
      if (typeof p === 'string' || p.bucket === undefined) continue
      const found = await admin.bucketId(orgID, p.bucket).catch((err: unknown) => (err as Error).message)
      if (found === undefined) problems.push(`${path}.permissions.${i}: no bucket "${p.bucket}" in organization "${spec.org}"`)
    }
  }
  return problems
}

/** The org's ID when the operator token can mint there; else undefined, and the problem added. */
async function canMint (admin: InfluxAdminClient, org: string, problems: string[]): Promise<string | undefined> {
  let created: { id: string } | undefined
  try {
    const orgID = await admin.orgId(org)
    created = await admin.createAuthorization({
      orgID, description: CHECK_CONFIG_DESCRIPTION, permissions: [{ action: 'read', resource: { type: 'orgs', id: orgID, orgID } }]
    })
    await admin.deleteAuthorization(created.id)
    return orgID
  } catch (err) {
    const why = (err as Error).message
    problems.push(created === undefined
      ? `upstream.operatorToken: cannot mint tokens in organization "${org}": ${why}`
      : `upstream.operatorToken: cannot delete tokens in organization "${org}": ${why} ` +
        `(authorization ${created.id} stays until a gateway's sweep, at its start or periodic, deletes it once two minutes old)`)
    return undefined
  }
}
