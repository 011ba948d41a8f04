import { z } from 'zod'
import { cidr, parseCidr } from './schema-types.ts'

/**
 * Header names an auth proxy's identity may not travel in: names HTTP, Node or the gateway give a meaning
 * of their own (framing, credentials, cookies, the client's address and origin), and names whose repeated
 * lines Node silently reduces to the first (a client's line in front of the proxy's would win).
 */
const RESERVED_HEADERS = new Set([
  'host', 'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'content-length',
  'content-type', 'expect', 'authorization', 'proxy-authorization', 'proxy-authenticate', 'cookie', 'set-cookie', 'origin',
  'referer', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded', 'x-real-ip', 'x-request-id',
  'zap-trace-span', 'age', 'etag', 'expires', 'from', 'if-modified-since', 'if-unmodified-since', 'last-modified', 'location',
  'max-forwards', 'retry-after', 'server', 'user-agent'
])

/** An HTTP header name an auth proxy may carry an identity in, stored lowercase (as Node presents headers). */
const identityHeader = z.string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'write a header name of letters, digits, - and _ (at most 64), e.g. Remote-User')
  .transform((name) => name.toLowerCase())
  .refine((name) => !RESERVED_HEADERS.has(name) && !name.startsWith('sec-'), 'a header HTTP or the gateway already gives a meaning to')
  // Node's header object is a plain object: `headers.constructor` is always there.
  .refine((name) => !(name in Object.prototype), 'not a usable header name')
  .meta({ type: 'header name' })

/** A trusted proxy's address block (an auth proxy, an ingress asking forward auth): never one that holds every address. */
export const proxyBlock = cidr.refine((text) => parseCidr(text)?.prefix !== 0, 'would trust every address: list the proxy\'s own')

/** The `authProxy:` section: identities an SSO proxy in front (Authelia, oauth2-proxy…) asserts in headers. */
export const authProxySchema = z.object({
  userHeader: identityHeader
    .describe('The header the proxy puts the signed-in user\'s name in (Authelia `Remote-User`, oauth2-proxy `X-Forwarded-User`).'),
  groupsHeader: identityHeader.optional()
    .describe('The header the proxy puts the user\'s groups in, comma-separated, on one line (a request that repeats it is refused); ' +
      'without it proxy identities have no groups.'),
  trustedProxies: z.array(proxyBlock).min(1, 'list the auth proxy\'s address (CIDR)')
    .describe('The auth proxy\'s addresses (CIDR list), checked against the TCP peer (never `X-Forwarded-For`); ' +
      'these headers from any other peer are removed and never believed.')
}).strict().superRefine((section, ctx) => {
  const { userHeader, groupsHeader } = section
  if (groupsHeader !== undefined && spelling(groupsHeader) === spelling(userHeader)) {
    ctx.addIssue({ code: 'custom', path: ['groupsHeader'], message: 'must differ from userHeader' })
  }
})

/** `-` and `_` as one: some servers (CGI, WSGI) fold them, so two such names would be one header there. */
function spelling (name: string): string {
  return name.replaceAll('_', '-')
}

/** The validated `authProxy:` section, header names lowercase. */
export type AuthProxyConfig = z.infer<typeof authProxySchema>
