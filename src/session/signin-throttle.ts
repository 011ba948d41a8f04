/** Who a sign-in attempt is counted against. */
export interface ThrottleSubjects {
  /** The user name tried (hashed before it is stored); undefined when the request had none. */
  user?: string
  /** The client address (`server.trustProxy` honoured; IPv6 counted per /64). */
  ip: string
}

/** One attempt the throttle let start: exactly one of its methods settles it (later calls do nothing). */
export interface SigninAttempt {
  /** The password was wrong (or the name unknown): a failure is counted; resolves to the subjects it just banned. */
  failed (): Promise<Array<'user' | 'ip'>>
  /** The password was right: the user name's failures are reset (the address's are not). */
  succeeded (): Promise<void>
  /** Neither (a disabled user, a directory that did not answer, an error): nothing is counted. Never rejects. */
  release (): Promise<void>
}

/**
 * The verdict on starting a sign-in attempt: allowed; refused because a subject is banned (`banned`,
 * for `banTime`); or refused for now because too many attempts are already in flight (`busy`, retry
 * in a second: never a ban).
 */
export type AttemptVerdict =
  | { allowed: true, attempt: SigninAttempt }
  | { allowed: false, reason: 'banned' | 'busy', retryAfterMs: number }

/**
 * Throttles sign-ins per user name and per client address. Only failed attempts count toward a ban.
 * An attempt in flight holds a slot from before the password is hashed until it settles, and a new
 * attempt starts only while failures plus attempts in flight stay within `maxFailures`: concurrent
 * guesses cannot all be checked before the ban lands, and concurrent right passwords are never banned.
 */
export interface SigninThrottle {
  /** Starts an attempt; refused while either subject is banned, or its failures plus attempts in flight are at the limit. */
  begin (subjects: ThrottleSubjects): Promise<AttemptVerdict>
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
