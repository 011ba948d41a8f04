import { FilterParser } from 'ldapts'
import { z } from 'zod'
import { databaseScopeFields } from './influx3-schema.ts'
import { mintCredential } from './influx-permissions.ts'
import { boolean, duration, integer, secret } from './schema-types.ts'

/** Schema parts for identities and access: the upstream credentials, the access rules, the `ldap:` section. */

/** The upstream credentials a user or an access rule may carry: exactly one of them is used. */
export const credentialFields = {
  token: secret.optional().describe('InfluxDB 2 token, sent as `Authorization: Token …`.'),
  basic: z.object({
    username: z.string().min(1).describe('InfluxDB 1.x user name.'),
    password: secret.describe('Its InfluxDB password.')
  }).strict().optional()
    .describe('InfluxDB 1.x user, sent as `Authorization: Basic …`.'),
  jwt: z.object({ username: z.string().min(1).describe('InfluxDB 1.x user name put in the `username` claim.') }).strict().optional()
    .describe('InfluxDB 1.x user, sent as a per-request HS256 JWT signed with `upstream.jwtSharedSecret`.'),
  mint: mintCredential.optional()
    .describe('A token minted with `upstream.operatorToken` for each session, and deleted when the session ends. InfluxDB 2: ' +
      '`{ org, permissions }`, with these permissions only. InfluxDB 3: `{}`, with the rule\'s `databases:` (Enterprise: a resource ' +
      'token of those databases, globs expanded at sign-in; Core: a named admin token, the gateway\'s rules doing the limiting).')
}

/** The credential kinds, in the order messages name them. */
export const CREDENTIAL_KINDS = ['token', 'basic', 'jwt', 'mint'] as const
/** What an access rule can match on; later kinds join this list. */
export const RULE_MATCHERS = ['group'] as const

const present = <K extends string>(o: Partial<Record<K, unknown>>, keys: readonly K[]): K[] => keys.filter((k) => o[k] !== undefined)

/** One access rule: a matcher (which identities) and exactly one upstream credential (what they get). */
export const accessRule = z.object({
  group: z.string().min(1).optional().describe('Matches identities in this group (a directory group, or a file user\'s `groups:`).'),
  ...credentialFields,
  ...databaseScopeFields
}).strict().superRefine((rule, ctx) => {
  const matchers = present(rule, RULE_MATCHERS)
  if (matchers.length !== 1) ctx.addIssue({ code: 'custom', message: `a rule needs exactly one matcher: ${RULE_MATCHERS.join(', ')}` })
  const kinds = present(rule, CREDENTIAL_KINDS)
  if (kinds.length !== 1) {
    const found = kinds.length === 0 ? 'none' : kinds.join(', ')
    ctx.addIssue({ code: 'custom', message: `a rule names exactly one credential: token, basic, jwt or mint (found ${found})` })
  }
})

/**
 * An LDAP filter template: it must hold the `required` placeholder (one of them), use no other, and be
 * a valid filter once filled.
 */
const filterTemplate = (required: ReadonlyArray<'username' | 'dn'>) => z.string().min(1).superRefine((text, ctx) => {
  const used = [...text.matchAll(/\{([^}]*)\}/g)].map((m) => m[1] ?? '')
  const unknown = used.filter((p) => p !== 'username' && p !== 'dn')
  if (unknown.length > 0) {
    ctx.addIssue({ code: 'custom', message: `unknown placeholder {${unknown[0] ?? ''}}; use {username} or {dn}` })
  } else if (!required.some((p) => used.includes(p))) {
    ctx.addIssue({ code: 'custom', message: `must contain ${required.map((p) => `{${p}}`).join(' or ')}` })
  } else {
    try {
      FilterParser.parseString(text.replace(/\{(username|dn)\}/g, 'x'))
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `not an LDAP filter: ${(err as Error).message.replace(/:.*$/, '')}` })
    }
  }
}).meta({ type: 'LDAP filter' })

const dn = z.string().min(1).regex(/^[^=,]+=[^,]/, 'not a DN: write e.g. ou=people,dc=example,dc=org').meta({ type: 'DN' })
const LDAP_URL = /^(ldaps?):\/\/(\[[0-9a-fA-F:.]+\]|[^/:\s[\]]+)(:\d{1,5})?\/?$/

/** The `ldap:` section: where the directory is, how users and groups are found. */
export const ldapSchema = z.object({
  url: z.string().regex(LDAP_URL, 'write ldaps://host[:port] or ldap://host[:port]')
    .describe('Directory URL: `ldaps://` (TLS), or `ldap://` (plain, or with `startTLS`).'),
  startTLS: boolean.optional()
    .describe('Upgrade an `ldap://` connection with StartTLS before anything is sent. For a host other than loopback, ' +
      '`ldap://` needs it written: `true`, or `false` to send passwords in clear on purpose.'),
  caFile: z.string().min(1).optional()
    .describe('PEM file of the CA(s) that sign the directory\'s certificate (default: the system CAs); read at start and on reload.'),
  bindDN: dn.describe('The service account that searches for users and reads groups.'),
  bindPassword: secret.describe('Its password.'),
  userBase: dn.describe('Where users are searched (the whole subtree).'),
  userFilter: filterTemplate(['username']).optional()
    .describe('Finds the user entry; `{username}` is the sign-in name, escaped (RFC 4515). ' +
      'Default `(uid={username})`, unless `userDN` is set.'),
  userDN: z.string().regex(/^[^=,]+=\{username\},.+=/, 'write e.g. uid={username},ou=people,dc=example,dc=org').optional()
    .describe('Instead of `userFilter`: the user entry\'s DN, `{username}` escaped (RFC 4514); ' +
      'users outside that one OU cannot sign in.'),
  groupBase: dn.describe('Where groups are searched (the whole subtree).'),
  groupFilter: filterTemplate(['dn', 'username']).default('(member={dn})')
    .describe('Finds the user\'s groups; `{dn}` is the user entry\'s DN, `{username}` the sign-in name, both escaped (RFC 4515).'),
  groupNameAttribute: z.string().regex(/^[A-Za-z][A-Za-z0-9-]*$/, 'an attribute name').default('cn')
    .describe('The group attribute whose value `access:` rules name.'),
  timeout: duration('5s', { min: '100ms' })
    .describe('Longest one sign-in or group check may take in all (connect, TLS, binds, searches); then 503 with `Retry-After`.'),
  refreshInterval: duration('5m', { min: '10s' })
    .describe('Groups are read at sign-in and again at most this often while the session is used: ' +
      'a user removed from the directory or from the group that granted access loses it within this interval.'),
  maxConcurrentBinds: integer(1, 64).default(4)
    .describe('Directory connections (sign-ins and group checks) at once; ' +
      'more wait as for a hash slot (`signin.maxQueuedHashes`, `signin.maxHashWait`), then get 503.')
}).strict().superRefine((ldap, ctx) => {
  const [, scheme, host = ''] = LDAP_URL.exec(String(ldap.url)) ?? []
  if (scheme === 'ldaps' && ldap.startTLS === true) {
    ctx.addIssue({ code: 'custom', path: ['startTLS'], message: 'ldaps:// is TLS already; StartTLS is for ldap://' })
  }
  if (scheme === 'ldap' && ldap.startTLS === undefined && !isLoopback(host)) {
    const message = 'required with ldap:// to a host other than loopback: true (StartTLS), or false to send passwords in clear on purpose'
    ctx.addIssue({ code: 'custom', path: ['startTLS'], message })
  }
  if (ldap.userDN !== undefined && ldap.userFilter !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['userDN'], message: 'set userFilter or userDN, not both' })
  }
}, { when: () => true }) // also when other keys failed: every problem is reported at once

function isLoopback (host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

/** The validated `ldap:` section, durations in ms. */
export type LdapConfig = z.infer<typeof ldapSchema>
/** One validated access rule. */
export type AccessRule = z.infer<typeof accessRule>
