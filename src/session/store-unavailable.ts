import { errors, GatewayError } from '../errors.ts'

/**
 * What kind of store failure `cause` is, for the fault log: its code (`ECONNREFUSED`, `NOREPLICA`), `timeout`
 * for a command that got no answer within `session.redis.commandTimeout`, `READONLY` for a write that reached
 * a replica (a failover under way), else its class name. Never the message, which for some clients names the server.
 */
export function storeFailureKind (cause: unknown): string {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code
  if (typeof code === 'string') return code
  // A transaction's EXECABORT carries the replies that aborted it.
  const replies = [cause, ...((cause as { previousErrors?: unknown[] } | undefined)?.previousErrors ?? [])]
  if (replies.some((reply) => reply instanceof Error && reply.message.startsWith('READONLY'))) return 'READONLY'
  if (cause instanceof Error) return /timed out/i.test(cause.message) ? 'timeout' : cause.name
  return 'unknown'
}

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
