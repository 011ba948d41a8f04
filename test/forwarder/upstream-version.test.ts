import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import { createUpstreamVersion, majorOf } from '../../src/forwarder/upstream-version.ts'

test('majorOf reads InfluxDB\'s version header', () => {
  const cases: Array<[string | null, 1 | 2 | 3 | undefined]> = [
    ['1.6.7', 1], ['1.8.10', 1], ['v2.7.10', 2], ['2.7.11', 2], ['3.0.0', 3], ['3.10.0', 3], [null, undefined], ['', undefined],
    ['nginx', undefined], ['v1', undefined]
  ]
  for (const [header, major] of cases) assert.equal(majorOf(header), major, String(header))
})

/** A /ping answering with the given version header; counts the pings. */
async function pingServer (t: TestContext, version: string | undefined): Promise<{ url: string, pings: () => number }> {
  let pings = 0
  const server = http.createServer((req, res) => {
    pings++
    res.writeHead(204, version === undefined ? {} : { 'X-Influxdb-Version': version }).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, pings: () => pings }
}

test('auto: learned from /ping, forgotten when the upstream URL changes; configured versions are taken as given', async (t) => {
  const v1 = await pingServer(t, '1.6.7')
  const v2 = await pingServer(t, 'v2.7.10')
  let url = v1.url
  let configured: 'auto' | 1 | 2 = 'auto'
  const clock = 0
  const version = createUpstreamVersion({ configured: () => configured, url: () => url, timeoutMs: 1000, retryMs: 30_000, now: () => clock })
  assert.equal(await version.probe(), 1)
  assert.equal(version.major(), 1)
  url = v2.url
  assert.equal(version.major(), undefined, 'another upstream: unknown until asked')
  assert.equal(await version.probe(), 2)
  assert.equal(version.major(), 2)
  configured = 1
  assert.equal(version.major(), 1)
  assert.deepEqual([v1.pings(), v2.pings()], [1, 1], 'one request per probe')
})

test('auto: InfluxDB 3, whose /ping asks for a token, is asked again with the operator token, which is sent nowhere else', async (t) => {
  const seen: Array<string | undefined> = []
  const server = http.createServer((req, res) => {
    seen.push(req.headers.authorization)
    if (req.headers.authorization !== 'Bearer operator-token') res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"error":"unauthorized"}')
    else res.writeHead(204, { 'X-Influxdb-Version': '3.10.0', 'X-Influxdb-Build': 'Core' }).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const version = createUpstreamVersion({
    configured: () => 'auto', url: () => url, token: () => 'operator-token', timeoutMs: 1000, retryMs: 30_000, now: () => 0
  })
  assert.equal(await version.probe(), 3)
  assert.deepEqual(seen, [undefined, 'Bearer operator-token'], 'asked without a token first, as 1.x and 2.x are')
  const without = createUpstreamVersion({ configured: () => 'auto', url: () => url, timeoutMs: 1000, retryMs: 30_000, now: () => 0 })
  assert.equal(await without.probe(), undefined, 'without an operator token InfluxDB 3 stays unknown')
})

test('auto: an upstream that does not answer is asked again at most every retryMs', async (t) => {
  const silent = await pingServer(t, undefined)
  let clock = 0
  const version = createUpstreamVersion({ configured: () => 'auto', url: () => silent.url, timeoutMs: 1000, retryMs: 30_000, now: () => clock })
  assert.equal(await version.probe(), undefined)
  assert.equal(version.major(), undefined)
  clock += 29_999
  assert.equal(version.major(), undefined)
  assert.equal(silent.pings(), 1, 'not yet')
  clock += 1
  version.major()
  assert.equal(await version.probe(), undefined)
  assert.equal(silent.pings(), 2, 'the background probe and the explicit one shared one request')
})

test('auto: what a probe learns is reported once learned and kept per upstream URL, without asking again', async (t) => {
  const v1 = await pingServer(t, '1.6.7')
  const learned: number[] = []
  const version = createUpstreamVersion({
    configured: () => 'auto', url: () => v1.url, timeoutMs: 1000, retryMs: 30_000, now: () => 0, onLearned: (major) => learned.push(major)
  })
  assert.equal(version.learnedFor(v1.url), undefined, 'nothing before a probe answered')
  assert.equal(await version.probe(), 1)
  assert.deepEqual(learned, [1])
  assert.equal(version.learnedFor(v1.url), 1)
  assert.equal(version.learnedFor('http://127.0.0.1:1'), undefined, 'another upstream')
  assert.equal(v1.pings(), 1)
})
