import assert from 'node:assert/strict'
import { once } from 'node:events'
import http from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import { ALICE, signIn, startGateway, type TestGateway } from '../helpers/gateway.ts'

/** An upstream that records requests and answers none of them until `release()`. */
interface SlowUpstream {
  url: string
  /** Resolves once the request for `path` arrived, then once InfluxDB's side of it was closed unanswered. */
  arrived (path: string): Promise<void>
  aborted (path: string): Promise<void>
  /** Finishes every parked answer. */
  release (): void
}

/** `/headers…` never sends headers; `/body…` sends a status and `partial`, then stalls. */
async function startSlowUpstream (t: TestContext): Promise<SlowUpstream> {
  const arrivals = new Map<string, () => void>()
  const closes = new Map<string, Promise<boolean>>()
  const parked: Array<() => void> = []
  const waitOn = (map: Map<string, () => void>, path: string): Promise<void> => new Promise((resolve) => map.set(path, resolve))
  const arrivedWaits = new Map<string, Promise<void>>()
  const arrivedFor = (path: string): Promise<void> => {
    if (!arrivedWaits.has(path)) arrivedWaits.set(path, waitOn(arrivals, path))
    return arrivedWaits.get(path) as Promise<void>
  }
  const server = http.createServer((req, res) => {
    const path = req.url ?? ''
    arrivedFor(path)
    closes.set(path, once(res, 'close').then(() => !res.writableFinished))
    arrivals.get(path)?.()
    if (path.startsWith('/body')) {
      res.writeHead(200, { 'Content-Type': 'text/plain' })
      res.write('partial')
      parked.push(() => res.end('-done'))
    } else {
      parked.push(() => res.end('{}'))
    }
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => { server.closeAllConnections(); server.close() })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrived: arrivedFor,
    aborted: async (path) => {
      await arrivedFor(path)
      assert.equal(await closes.get(path), true, `${path} was closed unanswered`)
    },
    release: () => { for (const finish of parked.splice(0)) finish() }
  }
}

/** One request on a raw socket; resolves with everything received once the gateway closes it. */
function rawExchange (gw: TestGateway, path: string, headers = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = ''
    const socket = connect(Number(new URL(gw.url).port), '127.0.0.1', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n${headers}\r\n`))
    socket.on('data', (d) => { got += d.toString('latin1') })
    socket.on('error', reject)
    socket.on('close', () => resolve(got))
  })
}

const options = { timeout: 10_000 }
const config = { limits: { publicRequestTimeout: '300ms' }, upstream: { timeout: '1h' } }

test('a public request whose answer does not come is ended after limits.publicRequestTimeout: 504, connection closed, InfluxDB\'s request aborted', options, async (t) => {
  const upstream = await startSlowUpstream(t)
  const gw = await startGateway(t, { upstreamUrl: upstream.url, config })
  const answer = await rawExchange(gw, '/headers-public')
  assert.match(answer, /^HTTP\/1\.1 504 Gateway Timeout\r\n/)
  assert.match(answer, /\r\nConnection: close\r\n/i)
  assert.match(answer, /\r\n\r\n\{"code":"unavailable","message":"request without a session took longer than 300 ms"\}$/)
  await upstream.aborted('/headers-public')
  assert.ok(!gw.logs.some((l) => (l.level as number) >= 50), 'not logged as a failure of the gateway')
})

test('a public answer still streaming at limits.publicRequestTimeout is cut, and InfluxDB\'s request aborted', options, async (t) => {
  const upstream = await startSlowUpstream(t)
  const gw = await startGateway(t, { upstreamUrl: upstream.url, config })
  const answer = await rawExchange(gw, '/body-public')
  assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/)
  assert.match(answer, /partial/)
  assert.doesNotMatch(answer, /-done/)
  assert.doesNotMatch(answer, /\r\n0\r\n\r\n$/, 'the chunked answer never ended: the cut is visible')
  await upstream.aborted('/body-public')
})

test('authenticated streams are never cut by limits.publicRequestTimeout', options, async (t) => {
  const upstream = await startSlowUpstream(t)
  const gw = await startGateway(t, { upstreamUrl: upstream.url, config })
  const cookie = await signIn(gw)
  // Started first: had the bound applied to them, they would have been cut before the public one.
  const bySession = rawExchange(gw, '/body-session', `Cookie: ${cookie}\r\nConnection: close\r\n`)
  const byToken = rawExchange(gw, '/body-token', `Authorization: Token ${ALICE.token ?? ''}\r\nConnection: close\r\n`)
  await Promise.all([upstream.arrived('/body-session'), upstream.arrived('/body-token')])
  await rawExchange(gw, '/body-public')
  await upstream.aborted('/body-public')
  upstream.release()
  for (const answer of await Promise.all([bySession, byToken])) {
    assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/)
    assert.match(answer, /partial/)
    assert.match(answer, /-done/, 'the whole answer arrived')
  }
})
