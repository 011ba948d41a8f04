import { randomBytes } from 'node:crypto'
import { InappropriateAuthError, InvalidCredentialsError, InvalidDNSyntaxError, NoSuchObjectError, type Entry } from 'ldapts'
import type { LdapConfig } from '../config/identity-schema.ts'
import type { WorkLimiter } from './work-limiter.ts'
import type { Identity } from './identity.ts'
import type { IdentitySource, VerifyOutcome } from './identity-source.ts'
import { withLdapConnection, type LdapConnection, type LdapConnectionSettings } from './ldap-connection.ts'
import { fillDn, fillFilter } from './ldap-escape.ts'

/** Options for {@link createLdapIdentitySource}. */
export interface LdapIdentitySourceOptions {
  config: LdapConfig
  /** The content of `config.caFile`, read by the caller. */
  ca?: Buffer
  /** Bounds directory connections: each verify or lookup holds one slot for its whole run. */
  limiter: WorkLimiter
}

const DEFAULT_USER_FILTER = '(uid={username})'
const INVALID: VerifyOutcome = { outcome: 'invalid', source: 'ldap', userKnown: false }

/**
 * Directory accounts (LDAP, Active Directory): search the user entry as the service account, bind as it
 * with the password, then read its groups as the service account again.
 * SECURITY: the name is escaped wherever it enters a filter (RFC 4515) or a DN (RFC 4514); an entry is
 * used only when exactly one matches. An empty password is refused before any bind (an LDAP bind with a
 * DN and no password is an unauthenticated bind, which many servers accept). An unknown name still costs
 * a bind (against a DN that cannot exist), so it takes as long as a wrong password.
 */
export function createLdapIdentitySource ({ config, ca, limiter }: LdapIdentitySourceOptions): IdentitySource {
  const settings: LdapConnectionSettings = { ...config, ...(ca === undefined ? {} : { ca }), timeoutMs: config.timeout }
  const identityOf = async (conn: LdapConnection, user: FoundUser): Promise<Identity> =>
    ({ name: user.name, source: 'ldap', groups: await groupsOf(conn, config, user.name, user.dn) })
  return {
    name: 'ldap',
    async verify (name, password) {
      if (password === '') return INVALID
      return await limiter.run(() => withLdapConnection(settings, async (conn) => {
        const user = await findUser(conn, config, name)
        const dn = user?.dn
        try {
          await conn.client.bind(dn ?? `cn=no-such-user-${randomBytes(12).toString('hex')},${config.userBase}`, password)
        } catch (err) {
          const refused = err instanceof InvalidCredentialsError || err instanceof InappropriateAuthError
          if (refused) return { ...INVALID, userKnown: dn !== undefined }
          throw err
        }
        if (user === undefined) return INVALID // a server that let a made-up DN bind
        await conn.bindService()
        return { outcome: 'ok', identity: await identityOf(conn, user) }
      }))
    },
    async lookup (name) {
      return await limiter.run(() => withLdapConnection(settings, async (conn) => {
        const user = await findUser(conn, config, name)
        return user === undefined ? { outcome: 'gone' } : { outcome: 'found', identity: await identityOf(conn, user) }
      }))
    }
  }
}

/** A user entry: its DN and its name as the directory spells it. */
interface FoundUser { dn: string, name: string }

/**
 * The one entry for `name`, or undefined when none (or more than one) matches. Its name is the value of the
 * attribute the name is matched against (`uid` in `(uid={username})`, the RDN's in `userDN`), as the
 * directory stores it: directories match `ALICE` or ` alice` to `alice`, and every session, ban and log
 * line must speak of one name. The typed name stands when that attribute holds no single value.
 */
async function findUser (conn: LdapConnection, config: LdapConfig, name: string): Promise<FoundUser | undefined> {
  const attribute = namingAttribute(config)
  const attributes = attribute === undefined ? ['1.1'] : [attribute]
  let entries: Entry[]
  if (config.userDN !== undefined) {
    try {
      const base = fillDn(config.userDN, name)
      entries = (await conn.client.search(base, { scope: 'base', filter: '(objectClass=*)', attributes })).searchEntries
    } catch (err) {
      if (err instanceof NoSuchObjectError || err instanceof InvalidDNSyntaxError) return undefined
      throw err
    }
  } else {
    const filter = fillFilter(config.userFilter ?? DEFAULT_USER_FILTER, { username: name })
    entries = (await conn.client.search(config.userBase, { scope: 'sub', filter, attributes, sizeLimit: 2 })).searchEntries
  }
  const entry = entries.length === 1 ? entries[0] : undefined
  if (entry === undefined) return undefined
  const spelled = attribute === undefined ? [] : attributeValues(entry, attribute)
  return { dn: entry.dn, name: spelled.length === 1 ? spelled[0] as string : name }
}

/** The attribute `{username}` is matched against: `uid` in `(uid={username})`, or the RDN's in `userDN`. */
function namingAttribute (config: LdapConfig): string | undefined {
  const m = config.userDN !== undefined
    ? /^([A-Za-z][\w;-]*)=\{username\}/.exec(config.userDN)
    : /\(([A-Za-z][\w;-]*)=\{username\}\)/.exec(config.userFilter ?? DEFAULT_USER_FILTER)
  return m?.[1]
}

/** The names (`groupNameAttribute`) of the groups `groupFilter` finds, sorted, each once. */
async function groupsOf (conn: LdapConnection, config: LdapConfig, name: string, dn: string): Promise<string[]> {
  const filter = fillFilter(config.groupFilter, { username: name, dn })
  const attribute = config.groupNameAttribute
  const { searchEntries } = await conn.client.search(config.groupBase, { scope: 'sub', filter, attributes: [attribute] })
  const names = searchEntries.flatMap((entry) => attributeValues(entry, attribute))
  return [...new Set(names)].sort()
}

/** An entry's values of an attribute, matched case-insensitively (servers echo their own spelling). */
function attributeValues (entry: Entry, attribute: string): string[] {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === attribute.toLowerCase())
  const value = key === undefined ? undefined : entry[key]
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value]
  return values.map((v) => Buffer.isBuffer(v) ? v.toString('utf8') : String(v))
}
