import { errors, GatewayError } from '../errors.ts'

/**
 * Wraps a store operation so that any failure of the store (Redis down, a command timeout) becomes
 * 503 `unavailable`: never a 500, never a 401 that would sign the user out. A gateway error raised by
 * what the caller handed in (a session attachment that could not mint its token) passes as it is.
 */
export function unavailableOnFailure<A extends unknown[], R> (op: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await op(...args)
    } catch (err) {
      throw err instanceof GatewayError ? err : errors.sessionStoreDown(err)
    }
  }
}
