import type { IncomingMessage } from 'node:http'
import type { BlockList, Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'

/** Who the client is, as far as the gateway may believe. */
export interface ClientInfo {
  /** The client's address: the peer, or what trusted proxies say it is. */
  ip: string
  /** Whether the client's connection is HTTPS: TLS here, or a trusted proxy's `X-Forwarded-Proto`. */
  https: boolean
  /** The host the client asked for (`Host`, or a trusted proxy's `X-Forwarded-Host`). */
  host: string
  /** Whether the direct peer is a trusted proxy. */
  viaTrustedProxy: boolean
  /** The `X-Forwarded-For` chain to send upstream. */
  forwardedFor: string
}

/**
 * Resolves the client from the socket and, only when the peer is listed in `server.trustProxy`, from
 * `X-Forwarded-*`. The client address is the right-most `X-Forwarded-For` entry that is not itself a
 * trusted proxy. From anyone else these headers are ignored (and overwritten upstream).
 */
export function resolveClient (req: IncomingMessage, trusted: BlockList): ClientInfo {
  const peer = normalizeIp(req.socket.remoteAddress ?? '')
  const tls = (req.socket as TLSSocket).encrypted === true
  const host = req.headers.host ?? ''
  if (!isTrustedPeer(req.socket as PeerSocket, trusted, peer)) {
    return { ip: peer, https: tls, host, viaTrustedProxy: false, forwardedFor: peer }
  }
  const chain = headerList(req.headers['x-forwarded-for']).map(normalizeIp)
  let ip = peer
  for (let i = chain.length - 1; i >= 0 && isTrusted(trusted, ip); i--) ip = chain[i] as string
  const proto = headerList(req.headers['x-forwarded-proto']).at(-1)?.toLowerCase()
  const forwardedHost = headerList(req.headers['x-forwarded-host']).at(-1)
  return {
    ip,
    https: proto === undefined ? tls : proto === 'https',
    host: forwardedHost ?? host,
    viaTrustedProxy: true,
    forwardedFor: [...chain, peer].join(', ')
  }
}

const PEER_TRUST = Symbol('influx-gateway.peerTrust')
const AUTH_PROXY_TRUST = Symbol('influx-gateway.authProxyTrust')
const FORWARD_AUTH_TRUST = Symbol('influx-gateway.forwardAuthTrust')
type TrustSlot = typeof PEER_TRUST | typeof AUTH_PROXY_TRUST | typeof FORWARD_AUTH_TRUST
type PeerSocket = Socket & { [K in TrustSlot]?: { list: BlockList, trusted: boolean } }

/**
 * Whether the request's TCP peer (never an address a header names) is in `list`, `authProxy.trustedProxies`:
 * a trusted auth proxy is the gateway's direct peer. Remembered on the socket like {@link resolveClient}'s check.
 */
export function isAuthProxyPeer (req: IncomingMessage, list: BlockList): boolean {
  return isTrustedPeer(req.socket as PeerSocket, list, normalizeIp(req.socket.remoteAddress ?? ''), AUTH_PROXY_TRUST)
}

/**
 * Whether the request's TCP peer is in `list`, `forwardAuth.trustedProxies`: the ingress asking forward auth
 * is the gateway's direct peer. Remembered on the socket like {@link resolveClient}'s check.
 */
export function isForwardAuthPeer (req: IncomingMessage, list: BlockList): boolean {
  return isTrustedPeer(req.socket as PeerSocket, list, normalizeIp(req.socket.remoteAddress ?? ''), FORWARD_AUTH_TRUST)
}

/**
 * Whether the socket's peer is in the list, remembered on the socket (one slot per list's purpose) for
 * the requests that follow on a keep-alive connection (a BlockList check allocates). A reload brings a
 * new list, which is checked afresh.
 */
function isTrustedPeer (socket: PeerSocket, list: BlockList, peer: string, slot: TrustSlot = PEER_TRUST): boolean {
  const known = socket[slot]
  if (known !== undefined && known.list === list) return known.trusted
  const trusted = isTrusted(list, peer)
  socket[slot] = { list, trusted }
  return trusted
}

function headerList (value: string | string[] | undefined): string[] {
  const joined = Array.isArray(value) ? value.join(',') : value ?? ''
  return joined.split(',').map((s) => s.trim()).filter((s) => s !== '')
}

/** IPv4 with a port, as some proxies write `X-Forwarded-For` entries. */
const IPV4_WITH_PORT = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/

/**
 * The address alone: IPv4-mapped IPv6 as IPv4, and without the port some proxies add to `X-Forwarded-For`
 * (`203.0.113.7:50123`, `[2001:db8::7]:443`: Azure Application Gateway, IIS ARR).
 */
function normalizeIp (raw: string): string {
  // SECURITY: with the port kept, each new connection of one client would be a new address to the
  // sign-in throttle and the pending sign-in limit.
  const close = raw.startsWith('[') ? raw.indexOf(']') : -1
  const ip = close > 0 ? raw.slice(1, close) : IPV4_WITH_PORT.exec(raw)?.[1] ?? raw
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip
}

function isTrusted (list: BlockList, ip: string): boolean {
  try {
    return list.check(ip, ip.includes(':') ? 'ipv6' : 'ipv4')
  } catch {
    return false
  }
}
