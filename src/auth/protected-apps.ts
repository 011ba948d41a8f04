import type { BlockList } from 'node:net'
import type { ForwardAuthConfig } from '../config/forward-auth-schema.ts'
import type { Identity } from './identity.ts'
import { identityMatcher } from './identity-match.ts'

/** One app beside InfluxDB, compiled: where it lives and whom it admits. */
export interface ProtectedApp {
  name: string
  /** Canonical path prefix, e.g. `/grafana`. */
  pathPrefix: string
  /** Whether `identity` may use the app: a file user named among its users, or a member of one of its groups. */
  admits (identity: Identity): boolean
}

/** `forwardAuth:` compiled, as `<gatewayPrefix>/auth` uses it. */
export interface ForwardAuth {
  /** `forwardAuth.trustedProxies` as a lookup: the only peers the endpoint answers. */
  trustedProxies: BlockList
  /** The app a canonical path belongs to, if any (prefixes never overlap: the schema sees to it). */
  appFor (path: string): ProtectedApp | undefined
}

/**
 * Compiles `forwardAuth:`; `trustedProxies` is the section's list as a BlockList. Apps match as access rules
 * do: a file user by name (as a file user's own credential is matched), anyone by a group they have
 * (`identity.groups`, the groups rules read).
 */
export function createForwardAuth (config: ForwardAuthConfig, trustedProxies: BlockList): ForwardAuth {
  const apps: ProtectedApp[] = config.apps.map((app) => ({
    name: app.name,
    pathPrefix: app.pathPrefix,
    admits: identityMatcher(app.users, app.groups)
  }))
  return {
    trustedProxies,
    appFor: (path) => apps.find((app) => path === app.pathPrefix || path.startsWith(`${app.pathPrefix}/`))
  }
}
