import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import { errors } from '../errors.ts'
import type { ExpirySweeper } from './expiry-sweeper.ts'
import type { SigninThrottle, ThrottleSettings, ThrottleSubjects } from './signin-throttle.ts'

/** What the throttle needs of a client: ioredis `Redis` or ioredis-mock. */
export type ThrottleRedisClient = Pick<Redis, 'pttl' | 'multi' | 'set' | 'del'>

/** Options for {@link createRedisSigninThrottle}. */
export interface RedisSigninThrottleOptions {
  client: ThrottleRedisClient
  keyPrefix: string
  settings: () => ThrottleSettings
  now: () => number
  /** Active expiry for the in-process client (attacker-chosen user names must not pile up). */
  sweeper?: ExpirySweeper
}

/**
 * fail2ban for sign-in, kept in the session store so that Redis replicas share it: a counter per
 * subject that lives `findTime` from its first failure, and a ban key that lives `banTime`.
 * Subjects are hashed into keys: neither user names nor addresses are stored as written.
 */
export function createRedisSigninThrottle (opts: RedisSigninThrottleOptions): SigninThrottle {
  const { client, sweeper } = opts
  const key = (kind: 'fail' | 'ban', subject: 'user' | 'ip', value: string): string =>
    `${opts.keyPrefix}throttle:${kind}:${subject}:${createHash('sha256').update(value).digest('base64url').slice(0, 22)}`
  const subjectsOf = (s: ThrottleSubjects): Array<['user' | 'ip', string]> =>
    s.user === undefined ? [['ip', s.ip]] : [['user', s.user], ['ip', s.ip]]

  const throttle: SigninThrottle = {
    async bannedFor (subjects) {
      if (opts.settings().maxFailures === 0) return 0
      let wait = 0
      for (const [subject, value] of subjectsOf(subjects)) wait = Math.max(wait, await client.pttl(key('ban', subject, value)))
      return wait
    },
    async fail (subjects) {
      const { maxFailures, findTimeMs, banTimeMs } = opts.settings()
      if (maxFailures === 0) return []
      const banned: Array<'user' | 'ip'> = []
      for (const [subject, value] of subjectsOf(subjects)) {
        const failKey = key('fail', subject, value)
        // One transaction: the counter is created with its TTL or incremented keeping it, never TTL-less.
        const replies = await client.multi().set(failKey, '0', 'PX', findTimeMs, 'NX').incr(failKey).exec()
        const count = Number(replies?.[1]?.[1] ?? 0)
        if (count === 1) sweeper?.track(failKey, opts.now() + findTimeMs)
        if (count < maxFailures) continue
        const banKey = key('ban', subject, value)
        await client.set(banKey, '1', 'PX', banTimeMs)
        await client.del(failKey)
        sweeper?.forget(failKey)
        sweeper?.track(banKey, opts.now() + banTimeMs)
        banned.push(subject)
      }
      return banned
    },
    async succeed (user) {
      const failKey = key('fail', 'user', user)
      await client.del(failKey)
      sweeper?.forget(failKey)
    }
  }
  return guarded(throttle)
}

/** Store failures answer 503, like the session store's. */
function guarded (throttle: SigninThrottle): SigninThrottle {
  const wrap = <A extends unknown[], R>(op: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    try {
      return await op(...args)
    } catch (err) {
      throw errors.sessionStoreDown(err)
    }
  }
  return { bannedFor: wrap(throttle.bannedFor), fail: wrap(throttle.fail), succeed: wrap(throttle.succeed) }
}
