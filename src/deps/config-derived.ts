import { readFileSync } from 'node:fs'
import type { AppDeps } from '../app-deps.ts'
import { createAccessRules } from '../auth/access-rules.ts'
import { createGatewayAdmins } from '../auth/gateway-admins.ts'
import { createCompositeIdentitySource } from '../auth/composite-identity-source.ts'
import { createFileIdentitySource } from '../auth/file-identity-source.ts'
import { createFileUserStore } from '../auth/file-user-store.ts'
import type { WorkLimiter } from '../auth/work-limiter.ts'
import type { IdentitySource } from '../auth/identity-source.ts'
import { createProxyIdentityReader } from '../auth/auth-proxy-identity.ts'
import { createForwardAuth } from '../auth/protected-apps.ts'
import { createLdapIdentitySource } from '../auth/ldap-identity-source.ts'
import type { Config } from '../config/schema.ts'
import { cidrBlockList } from '../config/schema-types.ts'
import { createCredentialBuilder } from '../forwarder/upstream-credential.ts'

/** What follows from the configuration alone and is rebuilt when it changes. */
export type ConfigDerived = Pick<AppDeps,
'config' | 'cookie' | 'trustedProxies' | 'users' | 'identities' | 'access' | 'admins' | 'credentials'> & {
  /** `authProxy:` compiled, undefined without one (always present as a key, so a reload that removes it applies). */
  authProxy: AppDeps['authProxy']
  /** `forwardAuth:` compiled, undefined without one (always present as a key, so a reload that removes it applies). */
  forwardAuth: AppDeps['forwardAuth']
  /** The directory, when `ldap:` is configured. */
  ldap?: IdentitySource
}

/** What outlives one configuration: the limiters, whose bounds hold across reloads, and the clock. */
export interface ConfigDerivedOptions {
  /** Bounds the password hashes of file users. */
  hashLimiter: WorkLimiter
  /** Bounds the connections to the directory. */
  bindLimiter: WorkLimiter
  now: () => number
}

/**
 * Builds what follows from `config` alone: the file users and the directory as identity sources, the
 * access rules, the credential builder, cookie settings, trusted proxies, the auth proxy and forward auth. The directory's CA file is
 * read now. Part of `createDeps` (src/deps.ts), which calls it at start and on each reload and is the
 * only module that imports it.
 */
export function createConfigDerived (config: Config, { hashLimiter, bindLimiter, now }: ConfigDerivedOptions): ConfigDerived {
  const { name, path, sameSite, secure } = config.session.cookie
  const users = createFileUserStore({ users: config.users, hashLimiter })
  const ldap = config.ldap === undefined ? undefined : createLdapSource(config.ldap, bindLimiter)
  return {
    config,
    cookie: { name, path, secure, sameSite: sameSite === 'lax' ? 'Lax' : 'Strict' },
    trustedProxies: cidrBlockList(config.server.trustProxy),
    authProxy: config.authProxy === undefined ? undefined : createProxyIdentityReader(config.authProxy),
    forwardAuth: config.forwardAuth === undefined
      ? undefined
      : createForwardAuth(config.forwardAuth, cidrBlockList(config.forwardAuth.trustedProxies)),
    users,
    ldap,
    identities: createCompositeIdentitySource([createFileIdentitySource(users), ...(ldap === undefined ? [] : [ldap])]),
    access: createAccessRules({ users: config.users, rules: config.access }),
    admins: createGatewayAdmins(config.gatewayAdmins),
    credentials: createCredentialBuilder({ jwtSharedSecret: config.upstream.jwtSharedSecret, now })
  }
}

/** The directory as an identity source; its CA file is read now (at start and on each reload). */
function createLdapSource (config: NonNullable<Config['ldap']>, limiter: WorkLimiter): IdentitySource {
  const ca = config.caFile === undefined ? undefined : readFileSync(config.caFile)
  return createLdapIdentitySource({ config, ...(ca === undefined ? {} : { ca }), limiter })
}
