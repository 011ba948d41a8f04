import type { BlockList } from 'node:net'
import type { AuthProxyConfig } from '../config/auth-proxy-schema.ts'
import { cidrBlockList } from '../config/schema-types.ts'
import { errors } from '../errors.ts'
import type { Identity } from './identity.ts'

/** The bounds of a proxy identity; beyond them the request gets 400 (a proxy misconfigured, or not a proxy). */
export const PROXY_IDENTITY_LIMITS = {
  /** Characters in the user name. */
  nameChars: 256,
  /** Characters in one group name. */
  groupChars: 256,
  /** Distinct groups. */
  groups: 1000
} as const

/** What one configuration's `authProxy:` section reads identities with. */
export interface ProxyIdentityReader {
  /** `authProxy.trustedProxies` as a lookup, checked against the TCP peer. */
  readonly trustedProxies: BlockList
  /** `authProxy.userHeader`, lowercase. */
  readonly userHeader: string
  /** `authProxy.groupsHeader`, lowercase, if any. */
  readonly groupsHeader: string | undefined
  /**
   * Every header name to remove from every request, whoever sent it: the user and groups headers, each
   * also spelt with `-` and `_` swapped (servers that fold the two would read them as the same header).
   */
  readonly headerNames: readonly string[]
  /**
   * The identity the headers of a request from a trusted proxy assert, or undefined when it carries no
   * user name (then it is not a proxy identity at all). Each value is one header line: the caller refuses
   * a header sent more than once, whose lines Node would join with `, `.
   * @throws GatewayError `proxyIdentityInvalid` (400) for a malformed or oversized name or groups
   */
  read (user: string | undefined, groups: string | undefined): Identity | undefined
}

/** Compiles an `authProxy:` section (validated by the config schema). */
export function createProxyIdentityReader (config: AuthProxyConfig): ProxyIdentityReader {
  const { userHeader, groupsHeader } = config
  const named = [userHeader, ...(groupsHeader === undefined ? [] : [groupsHeader])]
  const headerNames = [...new Set(named.flatMap((n) => [n, n.replaceAll('-', '_'), n.replaceAll('_', '-')]))]
  return {
    trustedProxies: cidrBlockList(config.trustedProxies),
    userHeader,
    groupsHeader,
    headerNames,
    read (user, groups) {
      const name = user === undefined ? '' : decoded(user.trim(), userHeader)
      if (name === '') return undefined
      // SECURITY: one name, never a list (`carol, admin`, what a proxy that appends a client's value to its
      // own would send): whichever name a reader picked, it must not be the client's choice.
      if (name.includes(',')) throw errors.proxyIdentityInvalid(`${userHeader}: one user name expected, got a list or repeated header`)
      checkName(name, userHeader, PROXY_IDENTITY_LIMITS.nameChars, 'user name')
      return { name, source: 'proxy', groups: groupsHeader === undefined ? [] : parseGroups(groups, groupsHeader) }
    }
  }
}

/** The groups of a comma-separated list, one header line: trimmed, empty items dropped, each once. */
function parseGroups (value: string | undefined, header: string): string[] {
  if (value === undefined) return []
  const groups = new Set<string>()
  for (const item of decoded(value, header).split(',')) {
    const group = item.trim()
    if (group === '') continue
    checkName(group, header, PROXY_IDENTITY_LIMITS.groupChars, 'group name')
    groups.add(group)
    if (groups.size > PROXY_IDENTITY_LIMITS.groups) {
      throw errors.proxyIdentityInvalid(`${header}: more than ${PROXY_IDENTITY_LIMITS.groups} groups`)
    }
  }
  return [...groups]
}

/** Control characters (C0, DEL, C1): never part of a name, and a name carrying one could forge a log line. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/ // eslint-disable-line no-control-regex -- finding them is the point

function checkName (name: string, header: string, maxChars: number, what: string): void {
  if (CONTROL.test(name)) throw errors.proxyIdentityInvalid(`${header}: ${what} contains control characters`)
  if (name.length > maxChars) throw errors.proxyIdentityInvalid(`${header}: ${what} longer than ${maxChars} characters`)
}

const UTF8 = new TextDecoder('utf-8', { fatal: true })

/**
 * The header value as text: Node reads header bytes as Latin-1, proxies send names as UTF-8 (`José`), so
 * a value with bytes over 0x7f is decoded as UTF-8; one that is not valid UTF-8 is refused.
 */
function decoded (value: string, header: string): string {
  if (!/[^\u0000-\u007f]/.test(value)) return value // eslint-disable-line no-control-regex -- the ASCII range
  try {
    return UTF8.decode(Buffer.from(value, 'latin1'))
  } catch {
    throw errors.proxyIdentityInvalid(`${header}: not valid UTF-8`)
  }
}
