import { randomBytes } from 'node:crypto'
import type { Influx3MintSpec } from '../config/influx-permissions.ts'
import type { Influx3AdminClient, Influx3Permission } from './influx3-admin-client.ts'
import { resourcePermissions } from './influx3-backend.ts'
import { CHECK_CONFIG_DESCRIPTION } from './mint-marker.ts'

/** The check's token lives this long at most, should its delete fail (the sweep deletes it anyway). */
const CHECK_EXPIRY_SECS = 300

/**
 * What `check-config --online` asks InfluxDB 3 for `mint: {}` credentials (`specs`, each with its YAML
 * path): `/ping` with the operator token (Core or Enterprise); on Enterprise, that each rule's databases
 * match an existing database (else sign-in is refused); then that the operator token creates a token of the
 * kind sign-in mints (a resource token on Enterprise, unless every rule is `admin:`; a named admin token on
 * Core) and deletes it. Resolves to the problems (none: minting will work).
 */
export async function checkInflux3MintingOnline (
  admin: Influx3AdminClient, specs: Array<{ path: string, spec: Influx3MintSpec }>
): Promise<string[]> {
  let build
  try {
    build = (await admin.build()).build
  } catch (err) {
    return [`upstream.operatorToken: cannot ask InfluxDB 3 which build it is: ${(err as Error).message}`]
  }
  const problems: string[] = []
  let permissions: Influx3Permission[] | undefined
  if (build === 'Enterprise' && specs.some(({ spec }) => !spec.admin)) {
    const existing = await admin.listDatabases().catch((err: unknown) => (err as Error))
    if (existing instanceof Error) return [`upstream.operatorToken: cannot list InfluxDB 3's databases: ${existing.message}`]
    for (const { path, spec } of specs.filter(({ spec }) => !spec.admin)) {
      const granted = resourcePermissions(spec.databases, existing)
      if (granted.length === 0) problems.push(`${path}: no existing database matches databases: sign-in would be refused`)
      permissions ??= granted.length === 0 ? undefined : granted
    }
    if (permissions === undefined) return problems
  }
  const name = `${CHECK_CONFIG_DESCRIPTION} ${randomBytes(6).toString('base64url')}`
  let created = false
  try {
    if (permissions === undefined) await admin.createNamedAdminToken(name, CHECK_EXPIRY_SECS)
    else await admin.createResourceToken(name, permissions, CHECK_EXPIRY_SECS)
    created = true
    await admin.deleteToken(name)
  } catch (err) {
    const why = (err as Error).message
    problems.push(created
      ? `upstream.operatorToken: cannot delete tokens in InfluxDB 3 ${build}: ${why} ` +
        `(token "${name}" expires within ${CHECK_EXPIRY_SECS / 60} minutes, or a gateway's sweep deletes it once two minutes old)`
      : `upstream.operatorToken: cannot mint tokens in InfluxDB 3 ${build}: ${why}`)
  }
  return problems
}
