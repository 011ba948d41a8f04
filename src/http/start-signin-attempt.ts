import { errors } from '../errors.ts'
import type { SigninAttempt, SigninThrottle, ThrottleSubjects } from '../session/signin-throttle.ts'
import type { GatewayContext } from './request-context.ts'
import { audit } from '../observability/audit.ts'

/**
 * Starts a password sign-in attempt under the failed-sign-in throttle, before the password is hashed (so
 * concurrent guesses cannot all get checked before the ban lands). A refusal is audited and thrown: a ban
 * as `signinThrottled` (`Retry-After`: what is left of it), too many attempts in flight for the name or
 * address as `signinConcurrent` (`Retry-After: 1`, no ban). `loggable`: the name when it is a user's (a
 * name that is not may be a password typed into the name field, and is never logged).
 */
export async function startSigninAttempt (
  ctx: GatewayContext, throttle: SigninThrottle, subjects: ThrottleSubjects, loggable: string | undefined
): Promise<SigninAttempt> {
  const verdict = await throttle.begin(subjects)
  if (verdict.allowed) return verdict.attempt
  const who = { user: loggable, ...(loggable === undefined ? {} : { source: 'file' }), ip: subjects.ip }
  if (verdict.reason === 'busy') {
    audit(ctx.state.log, 'signinBusy', { ...who, result: 'busy' })
    throw errors.signinConcurrent(verdict.retryAfterMs)
  }
  audit(ctx.state.log, 'signinThrottled', { ...who, result: 'throttled' })
  throw errors.signinThrottled(verdict.retryAfterMs)
}
