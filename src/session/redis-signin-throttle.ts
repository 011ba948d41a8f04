import { createHash, randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { ExpirySweeper } from './expiry-sweeper.ts'
import { unavailableOnFailure } from './store-unavailable.ts'
import {
  addressSubject, userSubject, type AttemptVerdict, type SigninAttempt, type SigninThrottle, type ThrottleSettings, type ThrottleSubjects
} from './signin-throttle.ts'

/** What the throttle needs of a client: ioredis `Redis` or ioredis-mock. */
export type ThrottleRedisClient = Pick<Redis, 'pttl' | 'multi' | 'set' | 'zrem'>

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
type Kind = 'fail' | 'ban' | 'flight'

/**
 * Longest an attempt holds its in-flight slot: longer than any sign-in takes once counted (the hash
 * queue's `maxHashWait`, a directory's timeout), so a slot outlives its attempt only when a replica
 * died mid-attempt, and then for this long at most.
 */
const SLOT_MS = 60_000

/** How soon an attempt refused for attempts in flight may retry. */
const BUSY_RETRY_MS = 1000

/**
 * fail2ban for sign-in, kept in the session store so that Redis replicas share it. Per subject: a failure
 * counter that lives `findTime` from its first failure, a ban key that lives `banTime`, and the attempts in
 * flight as a sorted set of attempt ids scored by when their slot lapses. Subjects are hashed into keys:
 * names and addresses are not stored.
 *
 * SECURITY: password guessing. A failure counts toward the ban; an attempt in flight only decides whether
 * another may start (failures + in flight + 1 ≤ `maxFailures`), so at most `maxFailures` guesses are ever
 * checked before the ban, however many arrive at once. A success never counts: people behind one NAT
 * signing in together (after a deploy or a store restart) get a one-second 429 at worst, never a ban.
 */
export function createRedisSigninThrottle (opts: RedisSigninThrottleOptions): SigninThrottle {
  const { client, sweeper } = opts
  const key = (kind: Kind, subject: Subject, value: string): string =>
    `${opts.keyPrefix}throttle:${kind}:${subject}:${createHash('sha256').update(value).digest('base64url').slice(0, 22)}`
  const keysOf = (s: ThrottleSubjects): SubjectKeys[] => {
    const pairs: Array<[Subject, string]> = [['ip', addressSubject(s.ip)]]
    if (s.user !== undefined) pairs.unshift(['user', userSubject(s.user)])
    return pairs.map(([subject, value]) =>
      ({ subject, fail: key('fail', subject, value), ban: key('ban', subject, value), flight: key('flight', subject, value) }))
  }
  const unlimited: AttemptVerdict = { allowed: true, attempt: settledAttempt() }

  return {
    begin: unavailableOnFailure(async (subjects) => {
      const settings = opts.settings()
      if (settings.maxFailures === 0) return unlimited
      const keys = keysOf(subjects)
      let wait = 0
      for (const k of keys) wait = Math.max(wait, await client.pttl(k.ban))
      if (wait > 0) return { allowed: false, reason: 'banned', retryAfterMs: wait }
      const id = randomUUID()
      const held: SubjectKeys[] = []
      for (const k of keys) {
        const refusal = await takeSlot(k, id, settings)
        if (refusal !== undefined) {
          await Promise.all(held.map(async (h) => await client.zrem(h.flight, id)))
          return refusal
        }
        held.push(k)
      }
      return { allowed: true, attempt: attemptOf(opts, keys, id) }
    })
  }

  /** Adds the attempt to the subject's flight; a refusal (its slot taken back) when that goes over the limit. */
  async function takeSlot (k: SubjectKeys, id: string, { maxFailures }: ThrottleSettings): Promise<AttemptVerdict | undefined> {
    const now = opts.now()
    const replies = await client.multi().zremrangebyscore(k.flight, '-inf', now).zadd(k.flight, now + SLOT_MS, id)
      .pexpire(k.flight, SLOT_MS).zcard(k.flight).get(k.fail).pttl(k.fail).exec()
    sweeper?.track(k.flight, now + SLOT_MS)
    const [inFlight, failures, failTtl] = [Number(replies?.[3]?.[1] ?? 0), Number(replies?.[4]?.[1] ?? 0), Number(replies?.[5]?.[1] ?? 0)]
    if (failures + inFlight <= maxFailures) return undefined
    await client.zrem(k.flight, id)
    // At the limit by failures alone (a ban shorter than findTime has lapsed): refused until they age out.
    if (failures >= maxFailures) return { allowed: false, reason: 'banned', retryAfterMs: Math.max(failTtl, BUSY_RETRY_MS) }
    return { allowed: false, reason: 'busy', retryAfterMs: BUSY_RETRY_MS }
  }
}

/** The attempt `id`, holding a slot in each subject's flight until one of its methods settles it. */
function attemptOf (opts: RedisSigninThrottleOptions, keys: SubjectKeys[], id: string): SigninAttempt {
  const { client, sweeper } = opts
  let settled = false
  const settle = (): boolean => { const first = !settled; settled = true; return first }
  return {
    failed: unavailableOnFailure(async () => settle() ? await countFailure(opts, keys, id) : []),
    succeeded: unavailableOnFailure(async () => {
      if (!settle()) return
      for (const k of keys) {
        // The user name's failures are reset; the address's stay (a valid account must not launder an address's guesses).
        if (k.subject === 'user') {
          await client.multi().del(k.fail).zrem(k.flight, id).exec()
          sweeper?.forget(k.fail)
        } else {
          await client.zrem(k.flight, id)
        }
      }
    }),
    async release () {
      if (!settle()) return
      // A slot that cannot be given back (store down) lapses by itself after SLOT_MS.
      await Promise.all(keys.map(async (k) => await client.zrem(k.flight, id))).catch(() => {})
    }
  }
}

/** Counts the failure and frees the slot in one transaction (the sum never dips), banning subjects at the limit. */
async function countFailure (opts: RedisSigninThrottleOptions, keys: SubjectKeys[], id: string): Promise<Subject[]> {
  const { client, sweeper } = opts
  const { maxFailures, findTimeMs, banTimeMs } = opts.settings()
  const banned: Subject[] = []
  for (const k of keys) {
    const replies = await client.multi().set(k.fail, '0', 'PX', findTimeMs, 'NX').incr(k.fail).zrem(k.flight, id).exec()
    const count = Number(replies?.[1]?.[1] ?? 0)
    if (count === 1) sweeper?.track(k.fail, opts.now() + findTimeMs)
    if (maxFailures === 0 || count < maxFailures) continue
    if (await client.pttl(k.ban) > 0) continue // banned meanwhile by another attempt
    await client.set(k.ban, '1', 'PX', banTimeMs)
    sweeper?.track(k.ban, opts.now() + banTimeMs)
    banned.push(k.subject)
  }
  return banned
}

interface SubjectKeys { subject: Subject, fail: string, ban: string, flight: string }

/** The attempt of a disabled throttle: nothing to count. */
function settledAttempt (): SigninAttempt {
  return { failed: async () => [], succeeded: async () => {}, release: async () => {} }
}
