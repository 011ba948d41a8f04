import { z } from 'zod'
import { classifyRoute } from '../route-rules.ts'
import { proxyBlock } from './auth-proxy-schema.ts'
import { pathPrefix } from './schema-types.ts'

/** A name as users and groups are named elsewhere in the config: anything printable, bounded. */
const principal = z.string().min(1).max(256)

/** A protected app's path prefix: never one of InfluxDB's own routes (those get an InfluxDB credential). */
const appPrefix = pathPrefix
  .refine((p) => classifyRoute('GET', p).group === 'ui', 'an InfluxDB route: an app must live under a path InfluxDB does not serve')

/** One app beside InfluxDB behind the same ingress, and who may use it. */
const protectedApp = z.object({
  name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'write a name of letters, digits, . _ - (at most 64)')
    .describe('The app\'s name, for logs and audit lines.'),
  pathPrefix: appPrefix
    .describe('Where the ingress serves the app on the gateway\'s host, e.g. `/grafana`; matched on the canonical path.'),
  users: z.array(principal).max(1000).default([])
    .describe('File users (`users:`) that may use the app, by name; directory, single sign-on and auth-proxy identities by `groups`.'),
  groups: z.array(principal).max(1000).default([])
    .describe('Groups whose members may use the app (a directory group, a file user\'s `groups:`, a provider\'s or proxy\'s groups).')
}).strict().refine((app) => app.users.length + app.groups.length > 0, 'name at least one of users or groups: nobody could use it')

/** The `forwardAuth:` section: an ingress (nginx, Caddy, Traefik) asks the gateway about each request it serves. */
export const forwardAuthSchema = z.object({
  trustedProxies: z.array(proxyBlock).min(1, 'list the ingress\'s address (CIDR)').max(64)
    .describe('The ingress\'s addresses (CIDR list), checked against the TCP peer (never `X-Forwarded-For`): ' +
      '`<gatewayPrefix>/auth` hands out upstream credentials, and answers 403 to every other peer.'),
  apps: z.array(protectedApp).max(100).default([])
    .describe('Apps beside InfluxDB the ingress serves under path prefixes of the same host: they get the user\'s ' +
      'identity in headers, never an InfluxDB credential.')
}).strict().superRefine((section, ctx) => {
  const apps = Array.isArray(section.apps) ? section.apps : []
  const names = new Set<string>()
  apps.forEach((app, i) => {
    if (names.has(app.name)) ctx.addIssue({ code: 'custom', path: ['apps', i, 'name'], message: `duplicate app name "${app.name}"` })
    names.add(app.name)
    const clash = apps.findIndex((other, j) => j !== i && within(app.pathPrefix, other.pathPrefix))
    if (clash >= 0) ctx.addIssue({ code: 'custom', path: ['apps', i, 'pathPrefix'], message: `lies within apps[${clash}].pathPrefix` })
  })
})

/** Whether `inner` is `outer` or below it. */
function within (inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(`${outer}/`)
}

/** The validated `forwardAuth:` section, app prefixes canonical. */
export type ForwardAuthConfig = z.infer<typeof forwardAuthSchema>
