import assert from 'node:assert/strict'
import { Agent, request, type IncomingHttpHeaders } from 'node:http'
import { createServer } from 'node:net'
import { test, type TestContext } from 'node:test'
import { patternBytes, type FakeInflux } from '../helpers/fake-influx.ts'
import { signIn, startGateway, type TestGateway } from '../helpers/gateway.ts'
import { LEDGER_ENV } from '../helpers/secret-ledger.ts'

/**
 * Faults: a storm of faulty requests through one in-process gateway. Upstream refuses, resets
 * before and after the headers, stalls past `upstream.timeout`, answers with malformed HTTP; clients abort
 * mid-upload and mid-download. Afterwards: no crash, only mapped errors or cut connections, no upstream
 * socket left in use, and no heap growth between a warm-up round and the end of the storm.
 */

/** `FAULT_STORM=10000` for a longer storm. */
const STORM = Number(process.env.FAULT_STORM ?? 1000)
const WARM_UP = 100
const CONCURRENCY = 20
/**
 * `upstream.timeout` of the storm's gateway. Client, gateway and InfluxDB share one event loop, so 20
 * requests in flight can wait 100 ms and more for their headers; with 50 ms most resets became 504s.
 */
const UPSTREAM_TIMEOUT = '250ms'
/** At most this share of the requests may turn into a (correctly mapped) 504 instead of their own fault. */
const MAX_LATE = 0.05
/** A request that has neither answered nor been cut by then is a hang (a leak in the making). */
const HANG_MS = 10_000
/** How long a leak gets to resolve itself before the socket counts are asserted. */
const SETTLE_MS = 3_000
const MAX_HEAP_GROWTH = 5 * 1024 * 1024
const UPLOAD_BYTES = 1024 * 1024
const UPLOAD_CHUNK = patternBytes(0, 64 * 1024)
/**
 * Far more than the socket buffers hold, so the client's abort always lands mid-download (8 MiB is not:
 * client, gateway and InfluxDB share one event loop, and some downloads finished before the abort).
 */
const DOWNLOAD_BYTES = 64 * 1024 * 1024

type Kind = 'refused' | 'reset' | 'reset-mid' | 'stall' | 'malformed' | 'malformed-chunked' | 'abort-upload' | 'abort-download' | 'abort-stream'
const KINDS: Kind[] = ['refused', 'reset', 'reset-mid', 'stall', 'malformed', 'malformed-chunked', 'abort-upload', 'abort-download', 'abort-stream']

const PATHS: Record<Kind, string> = {
  refused: '/api/v2/buckets?',
  reset: '/test/reset?',
  'reset-mid': '/test/reset-mid?',
  stall: '/test/stall-headers?',
  malformed: '/test/malformed?kind=status&',
  'malformed-chunked': '/test/malformed?kind=chunked&',
  'abort-upload': '/test/upload?',
  'abort-download': `/test/download?bytes=${DOWNLOAD_BYTES}&`,
  'abort-stream': '/test/stall-body?'
}

/** The mapped error each pre-header fault must produce (src/errors.ts). */
const MAPPED: Partial<Record<Kind, { status: number, message: string }>> = {
  refused: { status: 503, message: 'InfluxDB is unreachable' },
  reset: { status: 502, message: 'InfluxDB closed the connection unexpectedly' },
  stall: { status: 504, message: 'InfluxDB timed out' },
  malformed: { status: 502, message: 'InfluxDB closed the connection unexpectedly' },
  'malformed-chunked': { status: 502, message: 'InfluxDB closed the connection unexpectedly' }
}

/** What one faulty request came to, seen from the client. */
interface Outcome {
  kind: Kind
  id: number
  status?: number
  headers?: IncomingHttpHeaders
  body?: string
  /** The connection ended before a complete response. */
  cut: boolean
  /** We destroyed the request on purpose (the abort kinds). */
  clientAborted: boolean
  hung: boolean
}

/** A gateway as the storm's clients see it. */
interface Target {
  url: string
  cookie: string
  agent: Agent
}

interface Storm {
  gw: Target
  /** The gateway whose upstream is a closed port. */
  down: Target
  influx: FakeInflux
  nextId: number
  /** Ids of the requests we aborted ourselves, to check InfluxDB saw each abort. */
  abortedIds: Set<string>
}

async function closedPort (): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

async function target (t: TestContext, gw: TestGateway): Promise<Target> {
  // No keep-alive: a reused idle connection that the gateway closes at the same moment would look like a cut.
  const agent = new Agent({ keepAlive: false })
  t.after(() => agent.destroy())
  return { url: gw.url, cookie: await signIn(gw), agent }
}

/** Sends one faulty request of `kind` and reports how it ended; never rejects. */
function shoot (storm: Storm, kind: Kind): Promise<Outcome> {
  const id = storm.nextId++
  const base = kind === 'refused' ? storm.down : storm.gw
  const upload = kind === 'abort-upload'
  const outcome: Outcome = { kind, id, cut: false, clientAborted: false, hung: false }
  return new Promise((resolve) => {
    let done = false
    const finish = (): void => {
      if (done) return
      done = true
      clearTimeout(guard)
      resolve(outcome)
    }
    const abort = (): void => {
      if (done) return
      outcome.clientAborted = true
      storm.abortedIds.add(String(id))
      req.destroy()
      finish()
    }
    const headers = { cookie: base.cookie, ...(upload ? { 'content-type': 'application/octet-stream', 'content-length': String(UPLOAD_BYTES) } : {}) }
    const req = request(`${base.url}${PATHS[kind]}i=${id}`, { method: upload ? 'POST' : 'GET', agent: base.agent, headers }, (res) => {
      outcome.status = res.statusCode
      outcome.headers = res.headers
      if (kind === 'abort-download' || kind === 'abort-stream') {
        res.once('data', abort)
        return
      }
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', () => {})
      res.on('close', () => {
        outcome.body = Buffer.concat(chunks).toString()
        if (!res.complete) outcome.cut = true
        finish()
      })
    })
    const guard = setTimeout(() => {
      outcome.hung = true
      req.destroy()
      finish()
    }, HANG_MS)
    req.on('error', () => {
      outcome.cut = true
      finish()
    })
    if (!upload) {
      req.end()
      return
    }
    // Abort once InfluxDB has the request, i.e. with the upstream upload in flight.
    req.write(UPLOAD_CHUNK)
    storm.influx.waitForRequest((r) => r.query.get('i') === String(id)).then(abort, () => {})
  })
}

/** Runs `n` faulty requests, `CONCURRENCY` at a time, cycling through every kind. */
async function round (storm: Storm, n: number): Promise<Outcome[]> {
  const outcomes: Outcome[] = []
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < n) {
      const kind = KINDS[next++ % KINDS.length] as Kind
      outcomes.push(await shoot(storm, kind))
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  return outcomes
}

const TIMED_OUT = { status: 504, message: 'InfluxDB timed out' }

/** Whether `o` carries exactly the InfluxDB-shaped mapped error `expected`. */
function isMapped (o: Outcome, expected: { status: number, message: string }): boolean {
  if (o.status !== expected.status || o.cut) return false
  if (o.headers?.['content-type'] !== 'application/json; charset=utf-8' || o.headers['x-platform-error-code'] !== 'unavailable') return false
  try {
    assert.deepEqual(JSON.parse(o.body ?? ''), { code: 'unavailable', message: expected.message })
    return true
  } catch {
    return false
  }
}

/**
 * `expected` when the request ended as its fault should make it end; `late` when the gateway answered a
 * mapped 504 because InfluxDB (the shared event loop) was slower than `upstream.timeout`; else what is wrong.
 */
function classify (o: Outcome): 'expected' | 'late' | string {
  const what = `#${o.id} ${o.kind}`
  const seen = `status ${o.status ?? 'none'}, cut ${o.cut}, aborted by us ${o.clientAborted}, body ${JSON.stringify(o.body?.slice(0, 100))}`
  if (o.hung) return `${what}: no answer and no cut within ${HANG_MS} ms`
  const mapped = MAPPED[o.kind]
  if (mapped !== undefined && isMapped(o, mapped)) return 'expected'
  if (o.kind !== 'refused' && o.status === 504) return isMapped(o, TIMED_OUT) || o.clientAborted ? 'late' : `${what}: a malformed 504: ${seen}`
  if (mapped !== undefined) return `${what}: expected a mapped ${mapped.status}; ${seen}`
  if (o.kind === 'reset-mid') return o.status === 200 && o.cut && (o.body?.length ?? 0) < 1024 ? 'expected' : `${what}: expected a 200 whose body is cut; ${seen}`
  if (o.kind === 'abort-upload') return o.clientAborted && o.status === undefined ? 'expected' : `${what}: ended before we aborted it; ${seen}`
  return o.clientAborted && o.status === 200 ? 'expected' : `${what}: expected a 200 we abort; ${seen}`
}

/** Asserts every outcome is expected or late, and that few are late (else the faults were not exercised). */
function assertOutcomes (outcomes: Outcome[], when: string): void {
  const verdicts = outcomes.map(classify)
  const problems = verdicts.filter((v) => v !== 'expected' && v !== 'late')
  assert.deepEqual(problems.slice(0, 10), [], `${when}: ${problems.length} requests ended wrongly`)
  const late = verdicts.filter((v) => v === 'late').length
  assert.ok(late <= outcomes.length * MAX_LATE, `${when}: ${late} of ${outcomes.length} requests timed out instead of meeting their fault`)
}

function tally (outcomes: Outcome[]): string {
  const counts = new Map<string, number>()
  for (const o of outcomes) {
    const key = `${o.kind}→${o.status ?? '-'}${o.cut ? ' cut' : ''}${o.clientAborted ? ' aborted-by-client' : ''}${o.hung ? ' HUNG' : ''}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return [...counts].sort().map(([k, n]) => `${k}: ${n}`).join(', ')
}

interface SocketCounts {
  /** Upstream sockets the agent has lent to a request. */
  inUse: number
  /** Idle keep-alive sockets in the agent's pool. */
  free: number
  /** Connections InfluxDB still has open. */
  upstreamOpen: number
  /** `/test/stall-*` responses InfluxDB is still holding. */
  stalled: number
  /** The refusing gateway's agent: in use plus free. */
  down: number
}

/**
 * Spins the event loop (setImmediate) until the socket counts are healthy and have not changed for a
 * while, or until `SETTLE_MS` has passed: a leak gets every chance to clean up before it is reported.
 */
async function settle (gw: TestGateway, down: TestGateway): Promise<SocketCounts> {
  const read = (): SocketCounts => ({
    inUse: gw.deps.runtime().forwarder.connections().inFlight,
    free: gw.deps.runtime().forwarder.connections().idle,
    upstreamOpen: gw.influx.openSockets(),
    stalled: gw.influx.stalledCount(),
    down: down.deps.runtime().forwarder.connections().open + down.deps.runtime().forwarder.connections().inFlight
  })
  const deadline = Date.now() + SETTLE_MS
  let counts = read()
  let unchanged = 0
  while (Date.now() < deadline) {
    await new Promise((resolve) => setImmediate(resolve))
    const now = read()
    unchanged = JSON.stringify(now) === JSON.stringify(counts) ? unchanged + 1 : 0
    counts = now
    const healthy = now.inUse === 0 && now.stalled === 0 && now.down === 0 && now.upstreamOpen <= now.free
    if (healthy && unchanged >= 100) break
  }
  return counts
}

function assertNoLeakedSockets (counts: SocketCounts, gw: TestGateway, when: string): void {
  assert.equal(gw.deps.runtime().forwarder.connections().open, counts.free, `${when}: upstream connections still busy ${JSON.stringify(counts)}`)
  assert.equal(counts.inUse, 0, `${when}: ${JSON.stringify(counts)}`)
  assert.equal(counts.stalled, 0, `${when}: InfluxDB still holds stalled responses nobody waits for ${JSON.stringify(counts)}`)
  assert.ok(counts.free <= CONCURRENCY, `${when}: ${counts.free} idle upstream sockets for ${CONCURRENCY} concurrent clients`)
  assert.ok(counts.upstreamOpen <= counts.free, `${when}: InfluxDB has ${counts.upstreamOpen} connections open, the agent knows ${counts.free}`)
  assert.equal(counts.down, 0, `${when}: the refusing gateway holds sockets ${JSON.stringify(counts)}`)
}

/** Every request a client aborted reached InfluxDB and was aborted there too (not finished, not parked). */
function assertAbortsPropagated (storm: Storm): void {
  const seen = storm.influx.requests.filter((r) => storm.abortedIds.has(r.query.get('i') ?? ''))
  assert.equal(seen.length, storm.abortedIds.size, 'every client abort reached InfluxDB as a request')
  assert.deepEqual(seen.filter((r) => !r.aborted).map((r) => r.url), [], 'InfluxDB saw every client abort')
}

/**
 * Why the storm is skipped, or false. Its heap check needs `globalThis.gc` (`node --expose-gc`, which
 * `npm test`'s runner, scripts/run-tests.ts, passes): run by hand without it, the storm is skipped with a
 * banner on stderr. Under the runner (which sets the log-secret ledger) or with `CI=true` a missing gc is
 * not skipped but fails, so the runner cannot stop passing the flag unnoticed.
 */
function gcMissing (): string | false {
  if (globalThis.gc !== undefined || process.env[LEDGER_ENV] !== undefined || process.env.CI === 'true') return false
  const reason = 'SKIPPING the upstream fault storm: its heap check needs node --expose-gc ' +
    '(node --expose-gc --import tsx --test test/faults/upstream-faults.test.ts, or npm test)'
  const bar = '!'.repeat(100)
  process.stderr.write(`\n${bar}\n${reason}\n${bar}\n\n`)
  return reason
}

/** Heap in use after full collections (run with `--expose-gc`). */
async function heapUsed (): Promise<number> {
  const gc = globalThis.gc
  assert.ok(gc !== undefined, 'run with node --expose-gc (npm test\'s runner, scripts/run-tests.ts, must pass it)')
  for (let i = 0; i < 3; i++) {
    gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
  return process.memoryUsage().heapUsed
}

const MB = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`

test(`a storm of ${STORM} upstream and client faults: mapped errors, no crash, no leaked sockets, no heap growth`, { timeout: 120_000, skip: gcMissing() }, async (t) => {
  const crashes: unknown[] = []
  const onCrash = (err: unknown): void => { crashes.push(err) }
  process.on('uncaughtException', onCrash)
  process.on('unhandledRejection', onCrash)
  t.after(() => {
    process.off('uncaughtException', onCrash)
    process.off('unhandledRejection', onCrash)
  })

  const gw = await startGateway(t, { config: { upstream: { timeout: UPSTREAM_TIMEOUT } }, keepLogs: false })
  const down = await startGateway(t, { upstreamUrl: `http://127.0.0.1:${await closedPort()}`, keepLogs: false })
  const storm: Storm = { gw: await target(t, gw), down: await target(t, down), influx: gw.influx, nextId: 0, abortedIds: new Set() }
  const started = Date.now()

  const warmUp = await round(storm, WARM_UP)
  assertOutcomes(warmUp, 'warm-up')
  assertNoLeakedSockets(await settle(gw, down), gw, 'after the warm-up')
  assertAbortsPropagated(storm)
  // Only the gateway's memory counts: drop the double's records and our own outcomes before measuring.
  gw.influx.requests.splice(0)
  storm.abortedIds.clear()
  warmUp.splice(0)
  const heapBefore = await heapUsed()

  const outcomes = await round(storm, STORM)
  const stormMs = Date.now() - started
  t.diagnostic(`storm: ${STORM} requests in ${stormMs} ms (warm-up included): ${tally(outcomes)}`)
  assert.deepEqual(crashes, [], 'the gateway threw')
  assertOutcomes(outcomes, 'storm')

  // Before the stalls are released: every request the gateway gave up on must already be gone upstream.
  const afterStorm = await settle(gw, down)
  t.diagnostic(`sockets after the storm: ${JSON.stringify(afterStorm)}`)
  assertNoLeakedSockets(afterStorm, gw, 'after the storm')
  assertAbortsPropagated(storm)

  gw.influx.release()
  const afterRelease = await settle(gw, down)
  assertNoLeakedSockets(afterRelease, gw, 'after release')

  gw.influx.requests.splice(0)
  outcomes.splice(0)
  storm.abortedIds.clear()
  const heapAfter = await heapUsed()
  t.diagnostic(`heap: ${MB(heapBefore)} after the warm-up, ${MB(heapAfter)} after the storm (${MB(heapAfter - heapBefore)} growth)`)
  assert.ok(heapAfter - heapBefore < MAX_HEAP_GROWTH, `heap grew ${MB(heapAfter - heapBefore)} over ${STORM} faulty requests`)

  const ok = await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie: storm.gw.cookie } })
  assert.equal(ok.status, 200, 'the gateway still serves')
  await ok.arrayBuffer()
  assert.deepEqual(crashes, [], 'the gateway threw')
})

test('a mapped 502 after a malformed upstream body carries none of that response\'s headers', async (t) => {
  const gw = await startGateway(t)
  const res = await fetch(`${gw.url}/test/malformed?kind=chunked`, { headers: { cookie: await signIn(gw) } })
  assert.equal(res.status, 502)
  assert.deepEqual(await res.json(), { code: 'unavailable', message: 'InfluxDB closed the connection unexpectedly' })
  assert.equal(res.headers.get('x-upstream'), null, 'an upstream header on the gateway\'s own error')
  assert.equal(res.headers.get('set-cookie'), null, 'an upstream Set-Cookie on the gateway\'s own error')
})
