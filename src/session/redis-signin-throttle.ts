import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { ExpirySweeper } from './expiry-sweeper.ts'
import { unavailableOnFailure } from './store-unavailable.ts'
import { addressSubject, userSubject, type SigninThrottle, type ThrottleSettings, type ThrottleSubjects } from './signin-throttle.ts'

/** What the throttle needs of a client: ioredis `Redis` or ioredis-mock. */
export type ThrottleRedisClient = Pick<Redis, 'pttl' | 'multi' | 'set' | 'get' | 'del' | 'decr'>

/** Options for {@link createRedisSigninThrottle}. */
export interface RedisSigninThrottleOptions {
  client: ThrottleRedisClient
  keyPrefix: string
  settings: () => ThrottleSettings
  now: () => number
  /** Active expiry for the in-process client (attacker-chosen user names must not pile up). */
  sweeper?: ExpirySweeper
}

type Subject = 'user' | 'ip'

/**
 * fail2ban for sign-in, kept in the session store so that Redis replicas share it: per subject, an
 * attempt counter that lives `findTime` from its first attempt and a ban key that lives `banTime`.
 * Attempts are counted before the password is hashed (a MULTI, so a counter never loses its TTL);
 * a success gives the attempt back. Subjects are hashed into keys: names and addresses are not stored.
 */
export function createRedisSigninThrottle (opts: RedisSigninThrottleOptions): SigninThrottle {
  const { client, sweeper } = opts
  const key = (kind: 'fail' | 'ban', subject: Subject, value: string): string =>
    `${opts.keyPrefix}throttle:${kind}:${subject}:${createHash('sha256').update(value).digest('base64url').slice(0, 22)}`
  const subjectsOf = (s: ThrottleSubjects): Array<[Subject, string]> => {
    const ip: [Subject, string] = ['ip', addressSubject(s.ip)]
    return s.user === undefined ? [ip] : [['user', userSubject(s.user)], ip]
  }
  const ban = async (subject: Subject, value: string, banTimeMs: number): Promise<void> => {
    const banKey = key('ban', subject, value)
    await client.set(banKey, '1', 'PX', banTimeMs)
    sweeper?.track(banKey, opts.now() + banTimeMs)
  }

  return guarded({
    async begin (subjects) {
      const { maxFailures, findTimeMs, banTimeMs } = opts.settings()
      if (maxFailures === 0) return { allowed: true }
      let wait = 0
      for (const [subject, value] of subjectsOf(subjects)) wait = Math.max(wait, await client.pttl(key('ban', subject, value)))
      if (wait > 0) return { allowed: false, retryAfterMs: wait }
      for (const [subject, value] of subjectsOf(subjects)) {
        const failKey = key('fail', subject, value)
        const replies = await client.multi().set(failKey, '0', 'PX', findTimeMs, 'NX').incr(failKey).exec()
        const count = Number(replies?.[1]?.[1] ?? 0)
        if (count === 1) sweeper?.track(failKey, opts.now() + findTimeMs)
        if (count > maxFailures) {
          // Over the limit while earlier attempts are still being checked: refuse, and ban.
          await ban(subject, value, banTimeMs)
          return { allowed: false, retryAfterMs: banTimeMs }
        }
      }
      return { allowed: true }
    },
    async failed (subjects) {
      const { maxFailures, banTimeMs } = opts.settings()
      if (maxFailures === 0) return []
      const banned: Subject[] = []
      for (const [subject, value] of subjectsOf(subjects)) {
        if (await client.pttl(key('ban', subject, value)) > 0) continue // banned meanwhile by another attempt
        if (Number(await client.get(key('fail', subject, value)) ?? 0) < maxFailures) continue
        await ban(subject, value, banTimeMs)
        banned.push(subject)
      }
      return banned
    },
    async succeeded (subjects) {
      if (opts.settings().maxFailures === 0) return
      for (const [subject, value] of subjectsOf(subjects)) {
        const failKey = key('fail', subject, value)
        if (subject === 'user') {
          await client.del(failKey)
          sweeper?.forget(failKey)
        } else if (await client.pttl(failKey) > 0 && await client.decr(failKey) < 0) {
          await client.del(failKey) // expired in between: DECR made a key without a TTL
        }
      }
    }
  })
}

/** Store failures answer 503, like the session store's. */
function guarded (throttle: SigninThrottle): SigninThrottle {
  const wrap = unavailableOnFailure
  return { begin: wrap(throttle.begin), failed: wrap(throttle.failed), succeeded: wrap(throttle.succeeded) }
}
