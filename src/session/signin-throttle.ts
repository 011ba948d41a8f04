/** Who a sign-in attempt is counted against. */
export interface ThrottleSubjects {
  /** The user name tried (hashed before it is stored); undefined when the request had none. */
  user?: string
  /** The client address (`server.trustProxy` honoured). */
  ip: string
}

/** Throttles failed sign-ins per user name and per client address. */
export interface SigninThrottle {
  /** Milliseconds until a ban on either subject ends; 0 when neither is banned. */
  bannedFor (subjects: ThrottleSubjects): Promise<number>
  /** Counts a failure; resolves to the subjects it just banned (for the audit log). */
  fail (subjects: ThrottleSubjects): Promise<Array<'user' | 'ip'>>
  /** A successful sign-in resets that user name's count. */
  succeed (user: string): Promise<void>
}

/** The throttle's settings, read on every call so a reload applies. */
export interface ThrottleSettings {
  /** Failures within `findTimeMs` that trigger a ban; 0 disables throttling. */
  maxFailures: number
  findTimeMs: number
  banTimeMs: number
}
