import type { Logger } from 'pino'
import type { Config } from '../config/schema.ts'
import type { UpstreamVersion } from '../forwarder/upstream-version.ts'
import type { CachedSessionStore } from '../session/cached-session-store.ts'
import { audit } from '../observability/audit.ts'

/** What {@link reconfigure} works with. */
export interface Reconfiguring {
  /** The configuration in force until `apply`. */
  before: Config
  logger: Logger
  sessions: CachedSessionStore
  upstreamVersion: UpstreamVersion
}

/**
 * `Deps.applyConfig` (src/deps.ts): the next runtime (`apply`) swapped in before the first await, the sessions
 * of users it disables or removes revoked after.
 */
export async function reconfigure (
  { before, logger, sessions, upstreamVersion }: Reconfiguring, config: Config, apply: () => void
): Promise<void> {
  const upstreamChanged = config.upstream.url !== before.upstream.url
  const inactive = newlyInactive(before.users, config.users)
  // Cached sessions carry the times of the old timeouts: a shortened one applies at once.
  const { idleTimeout, absoluteTimeout } = before.session
  if (config.session.idleTimeout !== idleTimeout || config.session.absoluteTimeout !== absoluteTimeout) sessions.clear()
  apply()
  if (upstreamChanged) upstreamVersion.probe().catch(() => {})
  for (const { name, reason } of inactive) {
    try {
      const revoked = await sessions.revokeUser(name)
      audit(logger, 'sessionsRevoked', { user: name, source: 'file', sessions: revoked, reason })
    } catch (err) {
      logger.warn({ err, user: name }, 'could not revoke sessions; they end at their next request while the user stays disabled')
    }
  }
}

/** Users enabled in `before` whom `after` disables or removes. */
function newlyInactive (before: Config['users'], after: Config['users']): Array<{ name: string, reason: string }> {
  const next = new Map(after.map((u) => [u.name, u]))
  return before.filter((u) => !u.disabled && next.get(u.name)?.disabled !== false)
    .map((u) => ({ name: u.name, reason: next.has(u.name) ? 'user disabled' : 'user removed' }))
}
