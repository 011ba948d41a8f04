import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { ALICE, fetchRefused, signIn, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { fetchFrom, OTHER_ADDRESS, PROXY_ADDRESS, rawFrom } from '../helpers/peer.ts'
import { parsePrometheus, sampleValue } from '../helpers/prometheus.ts'

const AUTH_PROXY = { userHeader: 'Remote-User', groupsHeader: 'Remote-Groups', trustedProxies: [`${PROXY_ADDRESS}/32`] }
const ACCESS = [{ group: 'influx-writers', token: 'test-token' }, { group: 'influx-readers', token: 'reader-token' }]

async function start (t: TestContext, config: Record<string, Record<string, unknown>> = {}, access = ACCESS): Promise<TestGateway> {
  return await startGateway(t, { config: { authProxy: AUTH_PROXY, ...config }, access })
}

/** The identity headers (any spelling) among what InfluxDB received. */
function identityHeadersSeen (gw: TestGateway): string[] {
  return Object.keys(gw.influx.last()?.headers ?? {}).filter((h) => /^remote[-_](user|groups)$/.test(h))
}

test('a trusted proxy\'s user header is the identity: its groups\' rule gives the credential, no cookie, headers not forwarded', async (t) => {
  const gw = await start(t)
  const proxy = fetchFrom(t, PROXY_ADDRESS)
  const res = await proxy(`${gw.url}/api/v2/buckets`, { headers: { 'remote-user': 'carol', 'remote-groups': 'staff, influx-writers' } })
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('set-cookie'), null, 'no session, no cookie')
  assert.equal(gw.influx.last()?.headers.authorization, 'Token test-token')
  assert.deepEqual(identityHeadersSeen(gw), [])
  await proxy(`${gw.url}/api/v2/me`, { headers: { 'remote-user': 'dave', 'remote-groups': 'influx-readers' } })
  assert.equal(gw.influx.last()?.headers.authorization, 'Token reader-token', 'the first matching rule, per identity')
  const access = await gw.waitForLog((l) => l.msg === 'request' && l.user === 'dave')
  assert.equal(access.status, 401, 'the access line names the proxy user (the double refuses the reader token)')
  assert.equal(await gw.deps.sessions.count(), 0, 'no session was created')
})

test('the headers from any other peer are removed and never believed: anonymous, 401, nothing upstream carries them', async (t) => {
  const gw = await start(t)
  const other = fetchFrom(t, OTHER_ADDRESS)
  const spoofed = [
    { 'remote-user': 'alice', 'remote-groups': 'influx-writers' },
    { 'REMOTE-USER': 'alice', 'Remote-Groups': 'influx-writers' },
    { remote_user: 'alice', remote_groups: 'influx-writers' }
  ]
  for (const headers of spoofed) {
    const before = gw.influx.requests.length
    const res = await other(`${gw.url}/api/v2/buckets`, { headers })
    assert.equal(res.status, 401, JSON.stringify(headers))
    assert.equal(gw.influx.requests.length, before, 'nothing reached InfluxDB')
  }
  await other(`${gw.url}/ping`, { headers: { 'remote-user': 'alice', remote_groups: 'influx-writers' } })
  assert.equal(gw.influx.last()?.path, '/ping')
  assert.deepEqual(identityHeadersSeen(gw), [], 'a public route is forwarded without them')
  const cookie = await signIn(gw)
  await other(`${gw.url}/api/v2/me`, { headers: { cookie, 'remote-user': 'bob', 'remote-groups': 'influx-readers' } })
  assert.equal(gw.influx.last()?.headers.authorization, `Token ${ALICE.token ?? ''}`, 'the cookie\'s user, not the header\'s')
  assert.deepEqual(identityHeadersSeen(gw), [])
  const line = await gw.waitForLog((l) => l.msg === 'auth proxy headers from an untrusted peer removed')
  assert.equal(line.peer, OTHER_ADDRESS)
})

test('X-Forwarded-For naming the trusted proxy does not make another peer the proxy, even when server.trustProxy believes it', async (t) => {
  const gw = await start(t, { server: { trustProxy: ['127.0.0.0/8'] } })
  const other = fetchFrom(t, OTHER_ADDRESS)
  for (const xff of [PROXY_ADDRESS, `203.0.113.9, ${PROXY_ADDRESS}`]) {
    await fetchRefusedFrom(gw, other, '/api/v2/buckets', { 'x-forwarded-for': xff, 'remote-user': 'alice', 'remote-groups': 'influx-writers' })
  }
})

async function fetchRefusedFrom (
  gw: TestGateway, from: ReturnType<typeof fetchFrom>, path: string, headers: Record<string, string>, status = 401
): Promise<void> {
  const before = gw.influx.requests.length
  const res = await from(`${gw.url}${path}`, { headers })
  assert.equal(res.status, status, JSON.stringify(headers))
  await res.arrayBuffer()
  assert.equal(gw.influx.requests.length, before, 'nothing reached InfluxDB')
}

test('spoofing through the trusted proxy: repeated or listed user names get 400, other spellings are dropped', async (t) => {
  const gw = await start(t)
  const raw = async (lines: string[]): Promise<string> => await rawFrom(PROXY_ADDRESS, gw.url,
    ['GET /api/v2/buckets HTTP/1.1', `Host: ${new URL(gw.url).host}`, ...lines, 'Connection: close', '', ''].join('\r\n'))
  const before = gw.influx.requests.length
  for (const lines of [
    ['Remote-User: carol', 'Remote-User: admin'], // a client's line passed on next to the proxy's
    ['Remote-User: ', 'remote-user: admin'],
    ['Remote-User: carol, admin'],
    ['Remote-User: carol\tadmin'],
    ['Remote-User: carol', ' admin'] // obs-fold: Node refuses it itself
  ]) {
    assert.match(await raw(lines), /^HTTP\/1\.1 400 /, lines.join(' | '))
  }
  assert.equal(gw.influx.requests.length, before, 'nothing reached InfluxDB')
  const proxy = fetchFrom(t, PROXY_ADDRESS)
  const res = await proxy(`${gw.url}/api/v2/buckets`, { headers: { 'remote-user': '  carol  ', remote_user: 'admin', 'remote-groups': 'influx-writers' } })
  assert.equal(res.status, 200)
  assert.deepEqual(identityHeadersSeen(gw), [], 'the underscore spelling is not forwarded either')
  const line = await gw.waitForLog((l) => l.msg === 'request' && l.path === '/api/v2/buckets' && l.status === 200)
  assert.equal(line.user, 'carol', 'trimmed; the underscore spelling is never read')
  await fetchRefusedFrom(gw, proxy, '/api/v2/buckets', { remote_user: 'admin', 'remote-groups': 'influx-writers' })
})

test('a groups header sent twice gets 400, never merged: a client\'s line the proxy appends to cannot add a group', async (t) => {
  const gw = await start(t, {}, [{ group: 'ops', token: 'ops-token' }, ...ACCESS])
  const host = `Host: ${new URL(gw.url).host}`
  const raw = async (lines: string[]): Promise<string> => await rawFrom(PROXY_ADDRESS, gw.url,
    ['GET /api/v2/buckets HTTP/1.1', host, 'Remote-User: carol', ...lines, 'Connection: close', '', ''].join('\r\n'))
  for (const lines of [
    ['Remote-Groups: ops', 'Remote-Groups: staff'], // the client's line, then the proxy's
    ['Remote-Groups: staff', 'remote-groups: ops'],
    ['Remote-Groups: ', 'Remote-Groups: ops'],
    ['Remote-Groups: staff', 'Remote-Groups: ']
  ]) {
    const answer = await raw(lines)
    assert.match(answer, /^HTTP\/1\.1 400 /, lines.join(' | '))
    assert.ok(answer.endsWith('{"code":"invalid","message":"auth proxy identity refused: remote-groups: sent more than once"}'), answer)
  }
  assert.equal(gw.influx.requests.length, 0, 'nothing reached InfluxDB, least of all with the ops token')
  const refused = await gw.waitForLog((l) => l.msg === 'auth proxy identity refused')
  assert.equal(refused.reason, 'auth proxy identity refused: remote-groups: sent more than once')
  await raw(['Remote-Groups: staff, ops'])
  assert.equal(gw.influx.last()?.headers.authorization, 'Token ops-token', 'one line listing groups is the proxy\'s own word')
})

test('a user header carried only in a trailer is not an identity', async (t) => {
  const gw = await start(t)
  const host = `Host: ${new URL(gw.url).host}`
  const before = gw.influx.requests.length
  const trailer = await rawFrom(PROXY_ADDRESS, gw.url, ['POST /api/v2/write?org=o&bucket=b HTTP/1.1', host, 'Transfer-Encoding: chunked',
    'Trailer: Remote-User', 'Connection: close', '', '5', 'm v=1', '0', 'Remote-User: carol', '', ''].join('\r\n'))
  assert.match(trailer, /^HTTP\/1\.1 401 /)
  assert.equal(gw.influx.requests.length, before)
})

test('from the trusted proxy without a user header, the request goes the usual way: cookie, token, public, else 401', async (t) => {
  const gw = await start(t)
  const proxy = fetchFrom(t, PROXY_ADDRESS)
  const cookie = await signIn(gw)
  assert.equal((await proxy(`${gw.url}/api/v2/me`, { headers: { cookie, 'remote-groups': 'influx-readers' } })).status, 200)
  assert.equal(gw.influx.last()?.headers.authorization, `Token ${ALICE.token ?? ''}`)
  assert.deepEqual(identityHeadersSeen(gw), [])
  await proxy(`${gw.url}/api/v2/buckets`, { headers: { authorization: 'Token own-token', 'remote-user': '' } })
  assert.equal(gw.influx.last()?.headers.authorization, 'Token own-token')
  assert.equal((await proxy(`${gw.url}/health`)).status, 200)
  await fetchRefusedFrom(gw, proxy, '/api/v2/buckets', { 'remote-groups': 'influx-writers' })
})

test('a reload that changes authProxy.trustedProxies applies at once, on a kept-alive connection too', async (t) => {
  const gw = await start(t)
  const proxy = fetchFrom(t, PROXY_ADDRESS)
  const headers = { 'remote-user': 'carol', 'remote-groups': 'influx-writers' }
  assert.equal((await proxy(`${gw.url}/api/v2/buckets`, { headers })).status, 200)
  const config = gw.deps.config
  await gw.deps.applyConfig({ ...config, authProxy: { ...AUTH_PROXY, userHeader: 'remote-user', groupsHeader: 'remote-groups', trustedProxies: ['127.0.0.3/32'] } })
  await fetchRefusedFrom(gw, proxy, '/api/v2/buckets', headers)
  await gw.deps.applyConfig(config)
  assert.equal((await proxy(`${gw.url}/api/v2/buckets`, { headers })).status, 200)
})

test('auth-proxy requests are counted by outcome', async (t) => {
  const gw = await start(t)
  const proxy = fetchFrom(t, PROXY_ADDRESS)
  const other = fetchFrom(t, OTHER_ADDRESS)
  await (await proxy(`${gw.url}/api/v2/buckets`, { headers: { 'remote-user': 'carol', 'remote-groups': 'influx-writers' } })).arrayBuffer()
  await (await proxy(`${gw.url}/api/v2/buckets`, { headers: { 'remote-user': 'erin', 'remote-groups': 'nobody' } })).arrayBuffer()
  await (await proxy(`${gw.url}/api/v2/buckets`, { headers: { 'remote-user': 'x'.repeat(257) } })).arrayBuffer()
  await (await other(`${gw.url}/api/v2/buckets`, { headers: { 'remote-user': 'carol' } })).arrayBuffer()
  const samples = parsePrometheus(await (await fetch(`${gw.url}/gateway/metrics`)).text())
  const count = (outcome: string): number | undefined => sampleValue(samples, 'influx_gateway_auth_proxy_requests_total', { outcome })
  assert.deepEqual(['authenticated', 'no_access', 'invalid', 'untrusted', 'cross_site'].map(count), [1, 1, 1, 1, 0])
})

test('without authProxy the headers mean nothing to the gateway', async (t) => {
  const gw = await startGateway(t)
  await fetchRefused(gw, '/api/v2/buckets', { headers: { 'remote-user': 'alice' } })
})

test('in front of InfluxDB 1.x, a malformed identity on /query and /write is refused in 1.x\'s dialect, as its clients read it', async (t) => {
  const gw = await start(t, { upstream: { version: 1 } })
  const host = `Host: ${new URL(gw.url).host}`
  const message = 'auth proxy identity refused: remote-user: one user name expected, got a list or repeated header'
  for (const target of ['/query?q=SHOW+DATABASES', '/write?db=x', '/%71uery?q=SHOW+DATABASES']) {
    const answer = await rawFrom(PROXY_ADDRESS, gw.url, [`GET ${target} HTTP/1.1`, host, 'Remote-User: carol, admin', 'Connection: close', '', ''].join('\r\n'))
    assert.match(answer, /^HTTP\/1\.1 400 /, target)
    assert.ok(answer.endsWith(`\r\n\r\n${JSON.stringify({ error: message })}`), answer)
    assert.match(answer, new RegExp(`\r\nX-Influxdb-Error: ${message}\r\n`, 'i'))
    assert.doesNotMatch(answer, /X-Platform-Error-Code/i)
  }
  const v2 = await rawFrom(PROXY_ADDRESS, gw.url, ['GET /api/v2/buckets HTTP/1.1', host, 'Remote-User: carol, admin', 'Connection: close', '', ''].join('\r\n'))
  assert.ok(v2.endsWith(JSON.stringify({ code: 'invalid', message })), 'other routes keep InfluxDB 2\'s shape')
  assert.equal(gw.influx.requests.length, 0)
})
