/** Who a sign-in attempt is counted against. */
export interface ThrottleSubjects {
  /** The user name tried (hashed before it is stored); undefined when the request had none. */
  user?: string
  /** The client address (`server.trustProxy` honoured; IPv6 counted per /64). */
  ip: string
}

/** The verdict on starting a sign-in attempt. */
export type AttemptVerdict = { allowed: true } | { allowed: false, retryAfterMs: number }

/**
 * Throttles sign-ins per user name and per client address. An attempt is counted when it starts,
 * before the password is hashed, so concurrent attempts cannot all slip past the limit.
 */
export interface SigninThrottle {
  /** Counts an attempt; refused while either subject is banned or already at `maxFailures` attempts. */
  begin (subjects: ThrottleSubjects): Promise<AttemptVerdict>
  /** The attempt failed: resolves to the subjects it just banned (for the audit log). */
  failed (subjects: ThrottleSubjects): Promise<Array<'user' | 'ip'>>
  /** The attempt succeeded: the user name's count is reset and the address's attempt uncounted. */
  succeeded (subjects: ThrottleSubjects): Promise<void>
}

/** The throttle's settings, read on every call so a reload applies. */
export interface ThrottleSettings {
  /** Failures within `findTimeMs` that trigger a ban; 0 disables throttling. */
  maxFailures: number
  findTimeMs: number
  banTimeMs: number
}

/** The key an address is counted under: IPv4 as is, IPv6 by its /64 (one host owns a whole /64). */
export function addressSubject (ip: string): string {
  if (!ip.includes(':')) return ip
  const [head = '', tail = ''] = ip.split('::', 2)
  const left = head === '' ? [] : head.split(':')
  const right = ip.includes('::') ? (tail === '' ? [] : tail.split(':')) : []
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`
}

/**
 * The key a user name is counted under: as directories compare names (case, surrounding and repeated
 * spaces, Unicode compatibility forms ignored), so `ALICE`, ` alice` and `ａｌｉｃｅ` share one ban. Only ever
 * broader than the names themselves.
 */
export function userSubject (name: string): string {
  return name.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase()
}
