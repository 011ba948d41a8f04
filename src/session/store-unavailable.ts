import { errors } from '../errors.ts'

/**
 * Wraps a store operation so that any failure of the store (Redis down, a command timeout) becomes
 * 503 `unavailable`: never a 500, never a 401 that would sign the user out.
 */
export function unavailableOnFailure<A extends unknown[], R> (op: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await op(...args)
    } catch (err) {
      throw errors.sessionStoreDown(err)
    }
  }
}
