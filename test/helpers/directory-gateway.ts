/**
 * A gateway in front of the test directory ({@link startSlapd}): the directory's service account, access
 * rules for its InfluxDB groups, and a file user `ops` who gets a credential through `groups:`.
 * @packageDocumentation
 */
import type { TestContext } from 'node:test'
import { startGateway, type StartGatewayOptions, type TestGateway, type TestUser } from './gateway.ts'
import type { Slapd } from './slapd.ts'

/** The upstream token each access rule gives, by group. */
export const RULE_TOKENS = {
  'influx-writers': 'writers-token-0001',
  'influx-readers': 'readers-token-0002',
  'influx-admins': 'admins-token-0003'
} as const

/** A file user whose credential comes from the rules. */
export const OPS: TestUser = { name: 'ops', password: 'ops-password-long-enough', groups: ['influx-writers'] }
/** A file user with a token of their own. */
export const FILE_USER: TestUser = { name: 'filer', password: 'filer-password-long-enough', token: 'filer-token-0004' }

/** The `ldap:` fields that point at `slapd` (timeouts are each caller's: durations in YAML, ms when parsed). */
export function directoryLdap (slapd: Slapd): Record<'url' | 'bindDN' | 'bindPassword' | 'userBase' | 'userFilter' | 'groupBase' | 'groupFilter' | 'groupNameAttribute', string> {
  return {
    url: slapd.url,
    bindDN: slapd.service.dn,
    bindPassword: slapd.service.password,
    userBase: `ou=people,${slapd.suffix}`,
    userFilter: '(uid={username})',
    groupBase: `ou=groups,${slapd.suffix}`,
    groupFilter: '(member={dn})',
    groupNameAttribute: 'cn'
  }
}

/** Starts a gateway whose `ldap:` points at `slapd`; `ldap` and the rest of `opts` override. */
export async function startDirectoryGateway (
  t: TestContext, slapd: Slapd, opts: Omit<StartGatewayOptions, 'ldap'> & { ldap?: Record<string, unknown> } = {}
): Promise<TestGateway> {
  return await startGateway(t, {
    users: [OPS, FILE_USER],
    access: Object.entries(RULE_TOKENS).map(([group, token]) => ({ group, token })),
    ...opts,
    ldap: {
      ...directoryLdap(slapd),
      timeout: '1s',
      refreshInterval: '5m',
      ...opts.ldap
    }
  })
}
