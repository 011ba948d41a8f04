import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import { test } from 'node:test'
import { startGateway, type TestGateway } from '../helpers/gateway.ts'

const HEALTH = 'GET /gateway/health HTTP/1.1\r\nHost: x\r\n\r\n'

/** A connection that got one answer to `GET /gateway/health` and is kept alive: the gateway has it. */
async function held (gw: TestGateway): Promise<Socket> {
  const socket = connect(Number(new URL(gw.url).port), '127.0.0.1')
  socket.write(HEALTH)
  const [first] = await once(socket, 'data') as [Buffer]
  assert.match(first.toString('latin1'), /^HTTP\/1\.1 200 /)
  return socket
}

/** Connects, sends one request, and resolves with everything answered until the gateway closes. */
function answerOf (gw: TestGateway, request: string): Promise<{ text: string, error?: string }> {
  return new Promise((resolve) => {
    let text = ''
    let error: string | undefined
    const socket = connect(Number(new URL(gw.url).port), '127.0.0.1', () => socket.write(request))
    socket.on('data', (d) => { text += d.toString('latin1') })
    socket.on('error', (err: NodeJS.ErrnoException) => { error = err.code })
    socket.on('close', () => resolve({ text, error }))
  })
}

test('connections over limits.maxConnections get a quick 503 and a close; the gateway keeps serving the others', { timeout: 10_000 }, async (t) => {
  const gw = await startGateway(t, { config: { limits: { maxConnections: 3, keepAliveTimeout: '5m' } } })
  const kept = [await held(gw), await held(gw), await held(gw)]
  t.after(() => { for (const s of kept) s.destroy() })
  // Twenty more, at once: each is answered and closed, none is served, none hangs.
  const refused = await Promise.all(Array.from({ length: 20 }, () => answerOf(gw, HEALTH)))
  for (const { text, error } of refused) {
    assert.equal(error, undefined, 'answered, not reset')
    assert.match(text, /^HTTP\/1\.1 503 Service Unavailable\r\n/)
    assert.match(text, /\r\nRetry-After: 1\r\n/)
    assert.match(text, /\r\nConnection: close\r\n/)
    assert.match(text, /\r\nX-Platform-Error-Code: unavailable\r\n/)
    assert.ok(text.endsWith('\r\n\r\n{"code":"unavailable","message":"too many connections; retry shortly"}'), text)
  }
  // The connections the gateway holds still work.
  kept[0]?.write(HEALTH)
  const [again] = await once(kept[0] as Socket, 'data') as [Buffer]
  assert.match(again.toString('latin1'), /^HTTP\/1\.1 200 /)
  // One closes: its place is free again (the gateway learns of the close asynchronously, so a
  // connection made at the same moment may still be refused; a later one is served).
  const leaving = kept.pop() as Socket
  leaving.end('GET /gateway/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  await once(leaving, 'close')
  // Served: the metrics, which count every refusal so far.
  let refusedMeanwhile = 0
  let scrape = ''
  for (let attempt = 0; attempt < 50 && scrape === ''; attempt++) {
    const { text } = await answerOf(gw, 'GET /gateway/metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    if (text.startsWith('HTTP/1.1 200 ')) scrape = text
    else refusedMeanwhile++
  }
  assert.notEqual(scrape, '', 'a freed place is taken by the next connection')
  assert.match(scrape, new RegExp(`\\ninflux_gateway_connections_refused_total ${20 + refusedMeanwhile}\\n`))
})
