/**
 * The demo gateway's configuration: every way of signing in at once. Secrets are `${DEMO_…}` references
 * filled from the gateway process's environment, never written into the file.
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto'
import YAML from 'yaml'
import { hashPassword } from '../../src/auth/password.ts'
import type { DemoServices } from './demo-services.ts'

/** The address an auth proxy sends from, for the demo: `curl --interface 127.0.0.2`. */
export const AUTH_PROXY_ADDRESS = '127.0.0.2'

/** The file user and their password (made up for this run). */
export interface FileUser { name: string, password: string }

/** The config file's text and the environment its `${…}` references read. */
export interface DemoConfig { yaml: string, env: Record<string, string>, fileUser: FileUser }

/** `${NAME}`: a reference the gateway's loader fills from the environment. */
const envRef = (name: string): string => `\${${name}}`

/** The configuration for a gateway on `port` in front of `services`. */
export async function demoConfig (port: number, services: DemoServices): Promise<DemoConfig> {
  const { influx, provider, slapd, tokens } = services
  const fileUser = { name: 'frank', password: `frank-${randomBytes(9).toString('base64url')}` }
  const gatewayUrl = `http://127.0.0.1:${port}`
  const env: Record<string, string> = {
    DEMO_FRANK_TOKEN: tokens.frank,
    DEMO_WRITERS_TOKEN: tokens.writers,
    DEMO_READERS_TOKEN: tokens.readers,
    DEMO_ADMINS_TOKEN: tokens.admins,
    DEMO_OIDC_CLIENT_SECRET: provider.clientSecret
  }
  const config: Record<string, unknown> = {
    server: { host: '127.0.0.1', port },
    upstream: { url: influx.url },
    metrics: { host: '127.0.0.1', port: 0 },
    users: [{ name: fileUser.name, passwordHash: await hashPassword(fileUser.password), token: envRef('DEMO_FRANK_TOKEN') }],
    access: [
      { group: 'influx-writers', token: envRef('DEMO_WRITERS_TOKEN') },
      { group: 'influx-readers', token: envRef('DEMO_READERS_TOKEN') },
      { group: 'influx-admins', token: envRef('DEMO_ADMINS_TOKEN') }
    ],
    oidc: {
      issuer: provider.issuer,
      clientId: provider.clientId,
      clientSecret: envRef('DEMO_OIDC_CLIENT_SECRET'),
      redirectUrl: `${gatewayUrl}/gateway/oidc/callback`,
      postLogoutRedirectUrl: `${gatewayUrl}/`,
      scopes: ['openid', 'profile', 'email', 'groups'],
      uiSignin: true,
      allowHttpIssuer: true
    },
    authProxy: { userHeader: 'Remote-User', groupsHeader: 'Remote-Groups', trustedProxies: [`${AUTH_PROXY_ADDRESS}/32`] }
  }
  if (slapd !== undefined) {
    env.DEMO_LDAP_BIND_PASSWORD = slapd.service.password
    config.ldap = {
      url: slapd.url,
      bindDN: slapd.service.dn,
      bindPassword: envRef('DEMO_LDAP_BIND_PASSWORD'),
      userBase: `ou=people,${slapd.suffix}`,
      userFilter: '(uid={username})',
      groupBase: `ou=groups,${slapd.suffix}`,
      groupFilter: '(member={dn})',
      groupNameAttribute: 'cn'
    }
  }
  const yaml = `# influx-gateway demo (npm run demo): removed when the demo stops.\n${YAML.stringify(config)}`
  return { yaml, env, fileUser }
}
