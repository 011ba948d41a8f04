import { parsePermission, type MintSpec } from '../config/influx-permissions.ts'
import type { Config } from '../config/schema.ts'
import { createInfluxAdminClient, type InfluxAdminClient } from './influx-admin-client.ts'
import { CHECK_CONFIG_DESCRIPTION } from './mint-marker.ts'

/** The longest one call may take. */
const TIMEOUT_MS = 10_000

/** Every `mint` credential of a config, with its YAML path. */
function mintSpecs (config: Config): Array<{ path: string, spec: MintSpec }> {
  const users = config.users.flatMap((u, i) => u.mint === undefined ? [] : [{ path: `users.${i}.mint`, spec: u.mint }])
  const rules = config.access.flatMap((r, i) => r.mint === undefined ? [] : [{ path: `access.${i}.mint`, spec: r.mint }])
  return [...users, ...rules]
}

/**
 * What `check-config --online` asks InfluxDB: for each org a `mint` credential names, that the operator
 * token resolves it and can create and delete an authorization there; for each named bucket, that it
 * exists. Resolves to the problems, each with the YAML path it concerns (none: minting will work).
 */
export async function checkMintingOnline (config: Config, client?: InfluxAdminClient): Promise<string[]> {
  const specs = mintSpecs(config)
  const token = config.upstream.operatorToken
  if (specs.length === 0 || token === undefined) return []
  const admin = client ?? createInfluxAdminClient({
    url: () => config.upstream.url, operatorToken: () => token, timeoutMs: () => Math.min(config.upstream.timeout, TIMEOUT_MS)
  })
  const problems: string[] = []
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
