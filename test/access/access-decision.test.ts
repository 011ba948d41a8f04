/**
 * The access decision as a function (src/access/access-decision.ts), one row per outcome, and the one
 * standing rule (src/access/standing.ts) the cached and the awaited paths share.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decideAccess, type AccessDecision, type AccessInput, type Judged, type Loaded } from '../../src/access/access-decision.ts'
import { sessionStanding } from '../../src/access/standing.ts'
import type { Identity } from '../../src/auth/identity.ts'
import type { RouteClass } from '../../src/route-rules.ts'
import type { Session } from '../../src/session/session-store.ts'

const API: RouteClass = { group: 'api', public: false, sessionOnly: false }
const HEALTH: RouteClass = { group: 'health', public: true, sessionOnly: false }
const carol: Identity = { name: 'carol', source: 'proxy', groups: ['analysts'] }
const TOKEN = { token: 'upstream-token' }
const MINT = { mint: { org: 'acme', permissions: ['read:buckets'] } } as never

function session (over: Partial<Session> = {}): Session {
  return {
    user: 'alice',
    identity: { name: 'alice', source: 'file', groups: [] },
    stamp: 's1',
    ref: 'ref-1',
    createdAt: 0,
    idleExpiresAt: 1,
    absoluteExpiresAt: 2,
    ...over
  } as Session
}
const found = (s = session()): { id: string, session: Session } => ({ id: 'id-1', session: s })
const current: Judged = { kind: 'current', identity: { name: 'alice', source: 'file', groups: [] } }

/** The decision's outcome in a line: `forward <kind>` or `refuse <error kind>`, plus its effects. */
function summary (d: AccessDecision): string {
  const outcome = d.outcome.kind === 'forward' ? `forward ${d.outcome.auth.kind}` : `refuse ${d.outcome.error.kind}`
  const effects = [
    d.end === undefined ? '' : `end(${d.end.reason})`,
    d.groupsRead === undefined ? '' : 'groups',
    d.authProxy === undefined ? '' : `proxy(${d.authProxy})`,
    d.releaseImplicit === true ? 'release' : ''
  ].filter((e) => e !== '')
  return [outcome, ...effects].join(' ')
}

const input = (loaded: Loaded, over: Partial<AccessInput> = {}): AccessInput => ({ loaded, route: API, hasBody: false, onboarding: false, ...over })

const ROWS: Array<[string, AccessInput, string]> = [
  ['auth proxy, granted a token', input({ kind: 'authProxy', identity: carol, crossSite: false, granted: TOKEN }), 'forward authProxy proxy(authenticated) release'],
  ['auth proxy, granted a mint', input({ kind: 'authProxy', identity: carol, crossSite: false, granted: MINT }), 'forward authProxy proxy(authenticated)'],
  ['auth proxy, no rule', input({ kind: 'authProxy', identity: carol, crossSite: false }), 'refuse noAccess proxy(no_access) release'],
  ['auth proxy, cross-site', input({ kind: 'authProxy', identity: carol, crossSite: true }), 'refuse crossSite proxy(cross_site)'],
  ['client token', input({ kind: 'token', authorization: 'Token t' }), 'forward token'],
  ['cookie, cross-site', input({ kind: 'cookie', crossSite: true }), 'refuse crossSite'],
  ['session, current', input({ kind: 'session', found: found(), standing: current, granted: TOKEN }), 'forward session'],
  ['session, groups read again', input({ kind: 'session', found: found(), standing: { ...current, groupsRead: { groups: ['ops'], checkedAt: 5 } }, granted: TOKEN }),
    'forward session groups'],
  ['session, no rule any more', input({ kind: 'session', found: found(), standing: current }), 'refuse userInactive end(no access rule grants this user)'],
  ['session, rule now mints, no token held', input({ kind: 'session', found: found(), standing: current, granted: MINT }),
    'refuse userInactive end(access rule changed)'],
  ['session, rule mints, token held', input({ kind: 'session', found: found(), standing: current, granted: MINT, held: TOKEN }), 'forward session'],
  ['session holding a token, rule no longer mints',
    input({ kind: 'session', found: found(session({ minted: { authId: 'a' } } as never)), standing: current, granted: TOKEN }),
    'refuse userInactive end(access rule changed)'],
  ['session, user inactive', input({ kind: 'session', found: found(), standing: { kind: 'ended', reason: 'user inactive', inactive: true } }),
    'refuse userInactive end(user inactive)'],
  ['session over, private route', input({ kind: 'session', found: found(), standing: { kind: 'ended', reason: 'password changed', inactive: false } }),
    'refuse unauthorized end(password changed)'],
  ['session over, public route', input({ kind: 'session', found: found(), standing: { kind: 'ended', reason: 'password changed', inactive: false } }, { route: HEALTH }),
    'forward public end(password changed)'],
  ['nothing, private route', input({ kind: 'nothing' }), 'refuse unauthorized'],
  ['nothing, public route', input({ kind: 'nothing' }, { route: HEALTH }), 'forward public'],
  ['nothing, public route with a body', input({ kind: 'nothing' }, { route: HEALTH, hasBody: true }), 'refuse bodyWithoutSession'],
  ['nothing, onboarding with a body', input({ kind: 'nothing' }, { route: HEALTH, hasBody: true, onboarding: true }), 'forward public']
]

for (const [name, given, expected] of ROWS) {
  test(`decision: ${name} → ${expected}`, () => {
    assert.equal(summary(decideAccess(given)), expected)
  })
}

test('the session decision forwards the identity as it stands and the credential the rule gives now', () => {
  const d = decideAccess(input({ kind: 'session', found: found(), standing: current, granted: MINT, held: TOKEN }))
  assert.equal(d.outcome.kind, 'forward')
  assert.ok(d.outcome.kind === 'forward' && d.outcome.auth.kind === 'session')
  assert.deepEqual(d.outcome.auth.credential, TOKEN)
  assert.equal(d.outcome.auth.identity.name, 'alice')
})

const user = { name: 'alice', stamp: 's1', disabled: false, groups: [] } as never
const STANDING: Array<[string, Session, Parameters<typeof sessionStanding>[1], string]> = [
  ['file, current', session(), { user }, 'current'],
  ['file, user removed', session(), {}, 'ended user inactive (inactive)'],
  ['file, user disabled', session(), { user: { ...(user as object), disabled: true } as never }, 'ended user inactive (inactive)'],
  ['file, revoked by a reload', session({ revoked: true }), { user }, 'ended user was disabled'],
  ['file, password changed', session({ stamp: 's0' }), { user }, 'ended password changed'],
  ['directory, not asked yet', session({ identity: { name: 'dir', source: 'ldap', groups: [] } }), { refreshed: 'due' }, 'due'],
  ['directory, revoked', session({ identity: { name: 'dir', source: 'ldap', groups: [] }, revoked: true }), { refreshed: 'due' }, 'ended user was disabled'],
  ['directory, current', session({ identity: { name: 'dir', source: 'ldap', groups: [] } }), { refreshed: { kind: 'current' } }, 'current'],
  ['directory, gone', session({ identity: { name: 'dir', source: 'ldap', groups: [] } }), { refreshed: { kind: 'gone' } },
    'ended user no longer in the directory (inactive)'],
  ['directory, groups read again', session({ identity: { name: 'dir', source: 'ldap', groups: [] } }),
    { refreshed: { kind: 'updated', identity: { name: 'dir', source: 'ldap', groups: ['ops'] }, checkedAt: 7 } }, 'current groups ops']
]

for (const [name, s, facts, expected] of STANDING) {
  test(`standing: ${name} → ${expected}`, () => {
    const st = sessionStanding(s, facts)
    const line = st.kind === 'ended'
      ? `ended ${st.reason}${st.inactive ? ' (inactive)' : ''}`
      : st.kind === 'current' && st.groupsRead !== undefined ? `current groups ${st.groupsRead.groups.join(',')}` : st.kind
    assert.equal(line, expected)
  })
}
