import type { Logger } from 'pino'
import type { UpstreamCredential } from '../auth/access-rules.ts'
import type { Identity } from '../auth/identity.ts'
import type { MintSpec } from '../config/influx-permissions.ts'
import type { TokenMinter } from '../mint/token-minter.ts'
import type { Session, SessionOrigin } from '../session/session-store.ts'
import { endSession, startSession, type LifecycleDeps } from './session-lifecycle.ts'

/** Implicit sessions this replica keeps ids of; past it the least recently used one ends (and its token with it). */
const IMPLICIT_SESSION_ENTRIES = 10_000

/**
 * Server-side sessions without a cookie, for identities that prove themselves on every request (an auth
 * proxy's) when their access rule mints: the session holds the minted token, and everything that ends
 * sessions (idle and absolute timeouts, revocation, the orphan sweep's check across replicas) ends it.
 */
export interface ImplicitSessions {
  /**
   * The minted credential of `identity`'s implicit session for `spec`, renewed unless `renew` is false.
   * Its first request (or the first after the session ended, was revoked, or its rule came to mint
   * something else) starts a session and mints its token; concurrent first requests mint once. `origin`
   * (read only when a session starts) is kept with the session.
   * @throws GatewayError `mintUnavailable` (503) or `mintRefused` (403) when InfluxDB cannot or will not mint
   */
  credential (
    identity: Identity, spec: MintSpec, opts: { renew: boolean, log: Logger, origin?: () => SessionOrigin }
  ): Promise<UpstreamCredential>
  /**
   * The access rules no longer mint for `identity` (another credential, or none): its implicit session, if
   * any, ends in the background. One Map lookup when the name has none, so the non-minting path stays free
   * (`log` is called only when there is something to log: a request's logger is made on first use).
   */
  release (identity: Identity, log: () => Logger): void
  /** Ends every implicit session of the name on this replica (sign-out); resolves to how many ended. */
  end (name: string, log: Logger, reason: string): Promise<number>
}

/** Options for {@link createImplicitSessions}. */
export interface ImplicitSessionsOptions {
  /** The session lifecycle's store, minter and clock, read per call (those the cookie sessions use). */
  lifecycle: () => LifecycleDeps
  minter: Pick<TokenMinter, 'sessionCredential'>
  /** Default {@link IMPLICIT_SESSION_ENTRIES}. */
  maxEntries?: number
}

/**
 * The implicit sessions of this replica: identity (name and sorted groups) → session id, in process only
 * (the id is never sent anywhere, so no other party can present it), least recently used first. Each
 * replica keeps its own: a sessions's token per identity per replica. The session is an ordinary one of
 * the store, with source `proxy`; ending it deletes its token through the store's usual path.
 */
export function createImplicitSessions (opts: ImplicitSessionsOptions): ImplicitSessions {
  const ids = new SessionIds()
  const maxEntries = opts.maxEntries ?? IMPLICIT_SESSION_ENTRIES
  const starting = new Map<string, Promise<UpstreamCredential>>()
  const end = (id: string, log: Logger, reason: string, session?: Session): Promise<boolean> =>
    endImplicitSession(opts.lifecycle(), id, log, reason, session)
  type Origin = (() => SessionOrigin) | undefined
  const start = (key: string, identity: Identity, spec: MintSpec, log: Logger, origin: Origin): Promise<UpstreamCredential> => {
    let pending = starting.get(key)
    if (pending === undefined) {
      pending = startImplicitSession(opts, identity, spec, log, origin?.()).then(({ id, credential }) => {
        ids.remember(key, identity.name, id)
        for (let oldest = ids.overflow(maxEntries); oldest !== undefined; oldest = ids.overflow(maxEntries)) {
          end(oldest, log, 'implicit sessions over their bound').catch(() => {}) // else left to its idle timeout
        }
        return credential
      }).finally(() => starting.delete(key))
      starting.set(key, pending)
    }
    return pending
  }
  return {
    async credential (identity, spec, { renew, log, origin }) {
      const key = identityKey(identity)
      for (;;) {
        const pending = starting.get(key)
        if (pending !== undefined) return await pending
        const id = ids.get(key)
        if (id === undefined) break
        const session = await opts.lifecycle().sessions.get(id, { renew })
        const credential = session === undefined || session.revoked ? undefined : opts.minter.sessionCredential(id, session, spec)
        if (credential !== undefined) {
          ids.remember(key, identity.name, id) // the most recently used last
          return credential
        }
        if (ids.get(key) !== id) continue // replaced meanwhile by a concurrent request: look again
        ids.forget(key, identity.name)
        if (session !== undefined) await end(id, log, session.revoked ? 'revoked' : 'access rule changed', session)
        break
      }
      return await start(key, identity, spec, log, origin)
    },
    release (identity, log) {
      if (!ids.hasName(identity.name)) return
      const key = identityKey(identity)
      const id = ids.get(key)
      if (id === undefined) return
      ids.forget(key, identity.name)
      end(id, log(), 'access rule changed').catch((err: unknown) => notEnded(log(), identity.name, err))
    },
    async end (name, log, reason) {
      let ended = 0
      for (const [key, id] of ids.ofName(name)) {
        ids.forget(key, name)
        if (await end(id, log, reason)) ended++
      }
      return ended
    }
  }
}

/** Starts an implicit session for `identity`, minting its token; nothing is left behind when either fails. */
async function startImplicitSession (
  opts: ImplicitSessionsOptions, identity: Identity, spec: MintSpec, log: Logger, origin?: SessionOrigin
): Promise<{ id: string, credential: UpstreamCredential }> {
  // Implicit sessions count towards the identity's cap like any other (the store's create ends the oldest).
  const { started } = await startSession(opts.lifecycle(), identity, { mint: spec }, { log, https: false }, { implicit: true, origin })
  const credential = opts.minter.sessionCredential(started.id, started.session, spec)
  // Cannot happen (the token was minted for this very spec), but no request goes upstream without one.
  if (credential === undefined) throw new Error('a session just minted for this spec holds no token')
  return { id: started.id, credential }
}

/** Ends a session (its token deleted by the store's end path) and audits it; resolves true if it was live. */
async function endImplicitSession (deps: LifecycleDeps, id: string, log: Logger, reason: string, session?: Session): Promise<boolean> {
  const known = session ?? await deps.sessions.get(id, { renew: false })
  if (known === undefined) return await deps.sessions.destroy(id)
  return await endSession(deps, { id, session: known }, reason, log)
}

/** Logs a session that could not be ended now (the store failing): its idle timeout ends it. */
function notEnded (log: Logger, user: string, err: unknown): void {
  log.warn({ err: (err as Error).message, user }, 'could not end an implicit session; it ends at its idle timeout')
}

/** Identity key → session id, least recently used first, with the keys of each name (for sign-out). */
class SessionIds {
  private readonly ids = new Map<string, string>()
  private readonly keysOf = new Map<string, Set<string>>()

  get (key: string): string | undefined {
    return this.ids.get(key)
  }

  hasName (name: string): boolean {
    return this.keysOf.has(name)
  }

  /** The keys of `name` and their ids. */
  ofName (name: string): Array<[string, string]> {
    return [...this.keysOf.get(name) ?? []].flatMap((key) => { const id = this.ids.get(key); return id === undefined ? [] : [[key, id]] })
  }

  /** Sets (or touches) an entry: it becomes the most recently used. */
  remember (key: string, name: string, id: string): void {
    this.ids.delete(key)
    this.ids.set(key, id)
    let keys = this.keysOf.get(name)
    if (keys === undefined) this.keysOf.set(name, keys = new Set())
    keys.add(key)
  }

  forget (key: string, name: string): void {
    this.ids.delete(key)
    const keys = this.keysOf.get(name)
    keys?.delete(key)
    if (keys?.size === 0) this.keysOf.delete(name)
  }

  /** Over `max` entries: forgets the least recently used one and returns its id; else undefined. */
  overflow (max: number): string | undefined {
    if (this.ids.size <= max) return undefined
    const [key, id] = this.ids.entries().next().value as [string, string]
    this.forget(key, key.slice(0, key.indexOf('\0')))
    return id
  }
}

/**
 * What tells implicit sessions apart: the name and the groups, sorted (a proxy may send them in any
 * order). Neither may contain NUL or a comma (the auth proxy's reader refuses control characters, and
 * commas separate its groups).
 */
function identityKey (identity: Identity): string {
  return `${identity.name}\0${[...identity.groups].sort().join(',')}`
}
