import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createProxyIdentityReader, PROXY_IDENTITY_LIMITS } from '../../src/auth/auth-proxy-identity.ts'
import { GatewayError } from '../../src/errors.ts'

const reader = createProxyIdentityReader({ userHeader: 'remote-user', groupsHeader: 'remote-groups', trustedProxies: ['10.0.0.0/8'] })

/** What `read` makes of the two header values, or the message it refuses them with. */
function read (user: string | undefined, groups?: string): unknown {
  try {
    return reader.read(user, groups)
  } catch (err) {
    assert.ok(err instanceof GatewayError)
    assert.equal(err.status, 400)
    return err.message
  }
}

test('a name and comma-separated groups: trimmed, empty items dropped, each group once', () => {
  assert.deepEqual(read('carol', 'staff, influx-writers ,,  ,staff'), { name: 'carol', source: 'proxy', groups: ['staff', 'influx-writers'] })
  assert.deepEqual(read('  Carol Smith ', undefined), { name: 'Carol Smith', source: 'proxy', groups: [] })
  assert.deepEqual(read('carol', 'a,, b'), { name: 'carol', source: 'proxy', groups: ['a', 'b'] })
})

test('no user name is no proxy identity, whatever the groups say', () => {
  assert.equal(read(undefined, 'influx-writers'), undefined)
  assert.equal(read('', 'influx-writers'), undefined)
  assert.equal(read('   '), undefined)
})

test('refused: several names, control characters, over the limits, not UTF-8', () => {
  const cases: Array<[string | undefined, string | undefined, string]> = [
    ['carol, admin', undefined, 'remote-user: one user name expected, got a list or repeated header'],
    [', admin', undefined, 'remote-user: one user name expected, got a list or repeated header'],
    ['car\tol', undefined, 'remote-user: user name contains control characters'],
    [Buffer.from('carol\u0085', 'utf8').toString('latin1'), undefined, 'remote-user: user name contains control characters'], // C1, as UTF-8
    ['x'.repeat(PROXY_IDENTITY_LIMITS.nameChars + 1), undefined, 'remote-user: user name longer than 256 characters'],
    ['carol', `ok, ${'g'.repeat(PROXY_IDENTITY_LIMITS.groupChars + 1)}`, 'remote-groups: group name longer than 256 characters'],
    ['carol', 'ok,\u0001', 'remote-groups: group name contains control characters'],
    ['carol', Array.from({ length: PROXY_IDENTITY_LIMITS.groups + 1 }, (_, i) => `g${i}`).join(','), 'remote-groups: more than 1000 groups'],
    ['\xff\xfe', undefined, 'remote-user: not valid UTF-8']
  ]
  for (const [user, groups, message] of cases) assert.equal(read(user, groups), `auth proxy identity refused: ${message}`, JSON.stringify(user))
  const atLimit = Array.from({ length: PROXY_IDENTITY_LIMITS.groups }, (_, i) => `g${i}`)
  assert.deepEqual((reader.read('x'.repeat(256), atLimit.join(',')))?.groups, atLimit, 'the limits themselves are accepted')
})

test('UTF-8 names, which Node hands over as Latin-1, are read as UTF-8', () => {
  const latin1 = (text: string): string => Buffer.from(text, 'utf8').toString('latin1')
  assert.deepEqual(read(latin1('José'), latin1('Équipe, 運用')), { name: 'José', source: 'proxy', groups: ['Équipe', '運用'] })
})

test('the headers removed from every request: both, in both spellings; without groupsHeader there are no groups', () => {
  assert.deepEqual([...reader.headerNames].sort(), ['remote-groups', 'remote-user', 'remote_groups', 'remote_user'])
  const userOnly = createProxyIdentityReader({ userHeader: 'x-forwarded-user', trustedProxies: ['10.0.0.1'] })
  assert.deepEqual([...userOnly.headerNames].sort(), ['x-forwarded-user', 'x_forwarded_user'])
  assert.deepEqual(userOnly.read('carol', 'influx-writers'), { name: 'carol', source: 'proxy', groups: [] })
  assert.equal(userOnly.trustedProxies.check('10.0.0.1', 'ipv4'), true)
  assert.equal(userOnly.trustedProxies.check('10.0.0.2', 'ipv4'), false)
})
