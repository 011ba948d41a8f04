import type { Logger } from 'pino'

/** An identity's source, as audit lines name it (`file`, `ldap`, `oidc`, `proxy`). */
type Source = string

/** A session as audit lines name it: never its id, only its reference. */
interface SessionFields { user: string, source: Source | undefined, session: string }

/**
 * Every audit line the gateway writes: its name → the fields it carries, declared once. The line is
 * `{"audit": <kind>, "result": <result>?, …fields}` with the message of {@link AUDIT_LINES}, at its level.
 * Fields are written in the order given (undefined ones are left out): callers pass them in the declared
 * order, so the lines read the same whoever writes them.
 */
export interface AuditEvents {
  /** A password or single sign-on sign-in started a session. */
  signedIn: SessionFields
  /** A sign-in proved an identity that no access rule grants anything. */
  signinNoAccess: { user: string, source: Source, groups: readonly string[] }
  /** A password sign-in failed (wrong password, unknown user, no Basic, a disabled user). */
  signinFailed: { reason: string, user?: string, source?: Source, ip?: string }
  /** A password sign-in refused before the password was checked: too many in flight for the name or address. */
  signinBusy: { user?: string, source?: Source, ip: string, result: 'busy' }
  /** A password sign-in refused before the password was checked: its name or address is banned. */
  signinThrottled: { user?: string, source?: Source, ip: string, result: 'throttled' }
  /** A password sign-in the directory could not answer. */
  signinDirectoryUnavailable: { source: 'ldap', ip: string }
  /** A single sign-on refused (at the provider, by the gateway, or the provider unreachable). */
  ssoRefused: { result: string, source: 'oidc', reason: string, detail?: string, ip: string }
  /** A `returnTo` that is not a local path, replaced by `/`. */
  ssoReturnToRefused: { source: 'oidc' }
  /** A subject reached the failed sign-in limit. */
  signinBanned: { subject: string, ip?: string, user?: string, banMs: number }
  /** Sign-in of an identity the auth proxy asserted (no session of the gateway's own). */
  proxySignedIn: { user: string, source: Source }
  /** A session ended by its user (`provider`: a sign-out at the identity provider too). */
  signedOut: SessionFields & { provider?: true }
  /** Sign-out of an auth-proxy identity: its implicit sessions on every replica ended. */
  proxySignedOut: { user: string, source: Source, sessions: number }
  /** A session ended for `reason` (expired, a new sign-in, the cap, a rule change, …). */
  sessionEnded: SessionFields & { reason: string }
  /**
   * The identity provider's back-channel logout: the sessions of one of its sessions (`scope` `one`, by `sid`)
   * or of a subject (`user`, by `sub` alone) ended, each also audited as `sessionEnded`; 0 when none was here.
   */
  backchannelLogout: { source: 'oidc', scope: 'one' | 'user', sessions: number }
  /** A back-channel logout request refused (a logout token failing a check, or used before): nothing ended. */
  backchannelLogoutRefused: { source: 'oidc', reason: string, ip: string }
  /**
   * A session ended on request at the sessions page or API: by its own user, an administrator (`actor`,
   * `actorSource`), or the administrators' API token; `scope` says what was asked (one, all of a user's, all).
   */
  sessionEndedBy: SessionFields & { by: string, scope: string, actor?: string, actorSource?: Source }
  /** A request to see or end sessions that are not the asker's own, from someone who is no gateway administrator. */
  sessionsRefused: { actor?: string, actorSource?: Source, action: string, user?: string, source?: Source, session?: string }
  /** A reload disabled a file user: every session of theirs revoked. */
  sessionsRevoked: { user: string, source: 'file', sessions: number, reason: string }
  /** An auth-proxy identity's first request under a minting rule started its implicit session. */
  implicitSessionStarted: { user: string, source: Source, groups: readonly string[], session: string }
  /** Identity headers from a peer not in `authProxy.trustedProxies`, removed. */
  proxyUntrusted: { peer?: string }
  /** Identity headers from a trusted peer that are malformed. */
  proxyInvalid: { reason: string }
  /** An auth-proxy identity no access rule grants anything. */
  proxyNoAccess: { user: string, source: Source, groups: readonly string[] }
  /** A request InfluxDB 3's rules (`databases:`, `admin:`) do not allow. */
  influx3Refused: { user: string, source: Source, reason: string }
  /** `<gatewayPrefix>/auth` asked by a peer not in `forwardAuth.trustedProxies`: refused, none of its headers read. */
  forwardAuthUntrusted: { peer?: string }
  /** Forward auth refused the original request the ingress described (`reason`: the refusal's kind). */
  forwardAuthRefused: { reason: string, message: string, method?: string, path?: string, app?: string, user?: string }
  /** A session's token minted in InfluxDB. */
  tokenMinted: { user: string, session: string, authorization: string }
  /** InfluxDB could not, or would not, mint a session's token. */
  tokenMintFailed: { user: string, session: string, status?: number, reason: string }
  /** A minted token deleted in InfluxDB. */
  tokenRevoked: { session: string, authorization: string, reason: string }
  /** A session named an authorization this gateway did not mint: left alone. */
  tokenNotRevoked: { session: string, authorization: string, reason: string }
  /** A minted token's deletion failed. */
  tokenRevokeFailed: { session: string, authorization: string, err: string, then: string }
  /** A minted token that no live session holds, found by the orphan sweep. */
  tokenOrphan: { session: string, authorization: string }
  /** The authorization `check-config --online` left behind, deleted. */
  checkTokenRevoked: { authorization: string, reason: string }
  /** The authorization `check-config --online` left behind could not be deleted. */
  checkTokenRevokeFailed: { authorization: string, err: string, then: string }
}

/** How each audit event is written: the `audit` kind, the `result` when fixed, the level and the message. */
interface AuditLine { audit: string, result?: string, level: 'info' | 'warn', msg: string }

/** The lines of {@link AuditEvents}, one per event. */
const AUDIT_LINES: { readonly [K in keyof AuditEvents]: AuditLine } = {
  signedIn: { audit: 'signin', result: 'success', level: 'info', msg: 'signed in' },
  signinNoAccess: { audit: 'signin', result: 'no access', level: 'info', msg: 'sign-in refused: no access rule matches' },
  signinFailed: { audit: 'signin', result: 'failure', level: 'info', msg: 'sign-in failed' },
  signinBusy: { audit: 'signin', level: 'info', msg: 'sign-in refused: too many in progress' },
  signinThrottled: { audit: 'signin', level: 'info', msg: 'sign-in refused: banned' },
  signinDirectoryUnavailable: { audit: 'signin', result: 'unavailable', level: 'info', msg: 'sign-in refused: directory unavailable' },
  ssoRefused: { audit: 'signin', level: 'info', msg: 'sign-in refused' },
  ssoReturnToRefused: { audit: 'signin', level: 'info', msg: 'returnTo refused: not a local path; / instead' },
  signinBanned: { audit: 'ban', level: 'warn', msg: 'sign-in banned' },
  proxySignedIn: { audit: 'signin', result: 'proxy identity', level: 'info', msg: 'signed in by the auth proxy' },
  signedOut: { audit: 'signout', level: 'info', msg: 'signed out' },
  proxySignedOut: { audit: 'signout', result: 'proxy identity', level: 'info', msg: 'sign-out of an auth proxy identity' },
  sessionEnded: { audit: 'session', level: 'info', msg: 'session ended' },
  sessionsRevoked: { audit: 'session', level: 'info', msg: 'sessions revoked' },
  backchannelLogout: { audit: 'signout', result: 'backchannel', level: 'info', msg: 'back-channel logout from the identity provider' },
  backchannelLogoutRefused: { audit: 'signout', result: 'refused', level: 'warn', msg: 'back-channel logout refused' },
  sessionEndedBy: { audit: 'session', result: 'ended', level: 'info', msg: 'session ended on request' },
  sessionsRefused: {
    audit: 'session', result: 'refused', level: 'warn', msg: 'refused: only gateway administrators see or end others\' sessions'
  },
  implicitSessionStarted: { audit: 'session', result: 'started', level: 'info', msg: 'implicit session started' },
  proxyUntrusted: { audit: 'proxy', result: 'untrusted', level: 'warn', msg: 'auth proxy headers from an untrusted peer removed' },
  proxyInvalid: { audit: 'proxy', result: 'invalid', level: 'warn', msg: 'auth proxy identity refused' },
  proxyNoAccess: { audit: 'proxy', result: 'no access', level: 'info', msg: 'auth proxy identity refused: no access rule matches' },
  influx3Refused: { audit: 'access', result: 'refused', level: 'info', msg: 'request refused by the InfluxDB 3 rules' },
  forwardAuthUntrusted: {
    audit: 'forward auth', result: 'untrusted', level: 'warn', msg: 'forward auth asked by an untrusted peer: refused'
  },
  forwardAuthRefused: { audit: 'forward auth', result: 'refused', level: 'info', msg: 'forward auth refused the request' },
  tokenMinted: { audit: 'token', result: 'minted', level: 'info', msg: 'token minted' },
  tokenMintFailed: { audit: 'token', result: 'mint failed', level: 'warn', msg: 'could not mint a token' },
  tokenRevoked: { audit: 'token', result: 'revoked', level: 'info', msg: 'minted token revoked' },
  tokenNotRevoked: {
    audit: 'token',
    result: 'not revoked',
    level: 'warn',
    msg: 'a session named an authorization this gateway did not mint: left alone (was the session store tampered with?)'
  },
  tokenRevokeFailed: { audit: 'token', result: 'revoke failed', level: 'warn', msg: 'could not revoke a minted token' },
  tokenOrphan: { audit: 'token', result: 'orphan', level: 'info', msg: 'minted token no live session holds' },
  checkTokenRevoked: { audit: 'token', result: 'revoked', level: 'info', msg: 'authorization check-config --online left behind deleted' },
  checkTokenRevokeFailed: {
    audit: 'token', result: 'revoke failed', level: 'warn', msg: 'could not delete an authorization check-config --online left behind'
  }
}

/** The logger an audit line is written to: a request's, or the gateway's. */
export type AuditLog = Pick<Logger, 'info' | 'warn'>

/**
 * Writes one audit line: the one entry point for every audit event, so each event's fields, result and
 * message are declared once ({@link AuditEvents}).
 */
export function audit<K extends keyof AuditEvents> (log: AuditLog, kind: K, fields: AuditEvents[K]): void {
  const line = AUDIT_LINES[kind]
  const head: Record<string, unknown> = line.result === undefined ? { audit: line.audit } : { audit: line.audit, result: line.result }
  const fieldsOf: object = fields
  log[line.level]({ ...head, ...fieldsOf }, line.msg)
}
