import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import { startGateway } from '../helpers/gateway.ts'

async function closedPort (): Promise<number> {
  const s = http.createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => s.once('listening', resolve))
  const { port } = s.address() as AddressInfo
  await new Promise((resolve) => s.close(resolve))
  return port
}

/** An InfluxDB 1.x stand-in: no /health (404), /ping 204. */
async function influx1 (t: TestContext): Promise<string> {
  const s = http.createServer((req, res) => res.writeHead(req.url === '/ping' ? 204 : 404).end())
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => { s.closeAllConnections(); s.close(() => resolve()) }))
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`
}

test('liveness answers whenever the process serves, without the upstream', async (t) => {
  const gw = await startGateway(t, { upstreamUrl: `http://127.0.0.1:${await closedPort()}` })
  const res = await fetch(`${gw.url}/gateway/health`)
  assert.equal(res.status, 200)
  assert.deepEqual(await res.json(), { status: 'pass' })
})

test('readiness needs the session store and a healthy InfluxDB, and fails while stopping', async (t) => {
  const gw = await startGateway(t)
  const ready = await fetch(`${gw.url}/gateway/ready`)
  assert.equal(ready.status, 200)
  assert.equal(gw.influx.last()?.path, '/health')

  const v1 = await startGateway(t, { upstreamUrl: await influx1(t) })
  assert.equal((await fetch(`${v1.url}/gateway/ready`)).status, 200, 'InfluxDB 1.x: /ping')

  const down = await startGateway(t, { upstreamUrl: `http://127.0.0.1:${await closedPort()}` })
  const notReady = await fetch(`${down.url}/gateway/ready`)
  assert.equal(notReady.status, 503)
  assert.deepEqual(await notReady.json(), { code: 'unavailable', message: 'InfluxDB is unreachable (ECONNREFUSED)' })

  const sessions = gw.deps.sessions
  gw.deps.replace({ sessions: { ...sessions, ping: async () => { throw new Error('down') } } })
  assert.equal((await (await fetch(`${gw.url}/gateway/ready`)).json() as { message: string }).message, 'session store is unavailable')
  gw.deps.replace({ sessions })
  gw.deps.shutdown.begun = true
  const stopping = await fetch(`${gw.url}/gateway/ready`)
  assert.equal(stopping.status, 503)
  assert.equal((await stopping.json() as { message: string }).message, 'shutting down')
  assert.equal(stopping.headers.get('connection'), 'close')
})
