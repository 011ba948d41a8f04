/**
 * Self-test of the real-InfluxDB harness, and a record of how InfluxDB 1.x (Debian's 1.6.7) authenticates:
 * the behaviour the gateway proxies to and, for the unauthenticated debug endpoints, must close.
 */
import assert from 'node:assert/strict'
import { createHmac, randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { requireBinary } from './binaries.ts'
import { startInfluxd } from './influxd.ts'

const binary = requireBinary('influxd', 'influxdb', 'real InfluxDB 1.x')

const DB = 'gateway_test'
const USER = 'writer'
const PASSWORD = randomBytes(12).toString('hex')
const POINT_NS = 1_700_000_000_000_000_000n

/** `Authorization: Basic …` */
function basic (username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
}

/** base64url of a JSON value. */
function b64json (value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

/** An HS256 JWT built by hand with node:crypto. */
function hs256 (claims: object, secret: string): string {
  const signingInput = `${b64json({ alg: 'HS256', typ: 'JWT' })}.${b64json(claims)}`
  const signature = createHmac('sha256', secret).update(signingInput).digest('base64url')
  return `${signingInput}.${signature}`
}

/** Seconds since the epoch, `delta` from now. */
function epochSeconds (delta: number): number {
  return Math.floor(Date.now() / 1000) + delta
}

/** GET `path` with optional headers; returns status and parsed-or-raw body. */
async function get (url: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number, body: unknown }> {
  const response = await fetch(`${url}${path}`, { headers })
  const text = await response.text()
  const isJson = (response.headers.get('content-type') ?? '').includes('json')
  return { status: response.status, body: isJson && text.trim() !== '' ? JSON.parse(text) : text }
}

/** `/query` path selecting the test point. */
function selectPath (extra = ''): string {
  const params = new URLSearchParams({ db: DB, q: 'SELECT "value" FROM "cpu"', epoch: 'ns' })
  return `/query?${params.toString()}${extra}`
}

/** The value rows of the first series of a `/query` answer. */
function rows (body: unknown): unknown[] {
  const results = (body as { results?: Array<{ series?: Array<{ values?: unknown[] }> }> }).results
  return results?.[0]?.series?.[0]?.values ?? []
}

test('real InfluxDB 1.x harness', { skip: binary === undefined ? 'influxd not installed' : false }, async (t) => {
  const started = performance.now()
  const influxd = await startInfluxd(binary as string)
  t.after(() => influxd.stop())
  t.diagnostic(`influxd ready (ping + admin created) in ${Math.round(performance.now() - started)} ms at ${influxd.url}`)
  assert.match(influxd.url, /^http:\/\/127\.0\.0\.1:\d+$/)

  await t.test('auth is on: no credentials → 401 with an error body', async () => {
    const { status, body } = await get(influxd.url, '/query?q=SHOW%20DATABASES')
    assert.equal(status, 401)
    assert.equal(typeof (body as { error?: unknown }).error, 'string')
  })

  await t.test('admin creates a database and a non-admin user with READ/WRITE on it', async () => {
    await influxd.query(`CREATE DATABASE "${DB}"`)
    await influxd.query(`CREATE USER "${USER}" WITH PASSWORD '${PASSWORD}'`)
    await influxd.query(`GRANT ALL ON "${DB}" TO "${USER}"`)
    const grants = await influxd.query(`SHOW GRANTS FOR "${USER}"`)
    assert.deepEqual(rows(grants), [[DB, 'ALL PRIVILEGES']])
    await assert.rejects(influxd.query('SELECT * FROM "nope"', 'no_such_db'), /database not found/)
  })

  await t.test('the user writes with Basic auth and reads the point back', async () => {
    const response = await fetch(`${influxd.url}/write?db=${DB}`, {
      method: 'POST',
      headers: { authorization: basic(USER, PASSWORD) },
      body: `cpu,host=a value=42 ${POINT_NS}`
    })
    assert.equal(response.status, 204, await response.text())
    const { status, body } = await get(influxd.url, selectPath(), { authorization: basic(USER, PASSWORD) })
    assert.equal(status, 200)
    assert.deepEqual(rows(body), [[Number(POINT_NS), 42]])
  })

  await t.test('an HS256 JWT {username, exp} signed with the shared secret is accepted', async () => {
    const jwt = hs256({ username: USER, exp: epochSeconds(60) }, influxd.sharedSecret)
    const { status, body } = await get(influxd.url, selectPath(), { authorization: `Bearer ${jwt}` })
    assert.equal(status, 200)
    assert.equal(rows(body).length, 1)
  })

  await t.test('a JWT without exp, expired, or signed with another secret is refused', async () => {
    const tokens = [
      hs256({ username: USER }, influxd.sharedSecret),
      hs256({ username: USER, exp: epochSeconds(-60) }, influxd.sharedSecret),
      hs256({ username: USER, exp: epochSeconds(60) }, 'not-the-secret')
    ]
    for (const jwt of tokens) {
      const { status, body } = await get(influxd.url, selectPath(), { authorization: `Bearer ${jwt}` })
      assert.equal(status, 401)
      assert.equal(typeof (body as { error?: unknown }).error, 'string')
    }
  })

  await t.test('Authorization: Token is not a v1 scheme', async () => {
    const { status } = await get(influxd.url, selectPath(), { authorization: `Token ${PASSWORD}` })
    assert.equal(status, 401)
  })

  await t.test('u/p query parameters override the Authorization header', async () => {
    const wrongP = await get(influxd.url, selectPath(`&u=${USER}&p=wrong`), { authorization: basic(USER, PASSWORD) })
    assert.equal(wrongP.status, 401)
    const jwt = hs256({ username: USER, exp: epochSeconds(60) }, influxd.sharedSecret)
    const overJwt = await get(influxd.url, selectPath(`&u=${USER}&p=wrong`), { authorization: `Bearer ${jwt}` })
    assert.equal(overJwt.status, 401)
    const rightP = await get(influxd.url, selectPath(`&u=${USER}&p=${PASSWORD}`), { authorization: basic(USER, 'wrong') })
    assert.equal(rightP.status, 200)
    // Only when both u and p are non-empty: a lone p is ignored and the header decides.
    const loneP = await get(influxd.url, selectPath('&p=wrong'), { authorization: basic(USER, PASSWORD) })
    assert.equal(loneP.status, 200)
  })

  await t.test('debug and metrics endpoints answer without credentials (the gateway must close them)', async () => {
    const vars = await get(influxd.url, '/debug/vars')
    assert.equal(vars.status, 200)
    assert.equal(typeof (vars.body as { cmdline?: unknown }).cmdline, 'object')
    const metrics = await get(influxd.url, '/metrics')
    assert.equal(metrics.status, 200)
    assert.match(String(metrics.body), /^# HELP /m)
    const pprof = await get(influxd.url, '/debug/pprof/')
    assert.equal(pprof.status, 200)
  })

  await t.test('stop() is idempotent and frees the port', async () => {
    await Promise.all([influxd.stop(), influxd.stop()])
    await influxd.stop()
    await assert.rejects(fetch(`${influxd.url}/ping`))
  })
})

test('startInfluxd rejects with the captured log when the binary exits early or is missing', async () => {
  // node is handed `run -config FILE` and exits at once: its complaint must be in the error.
  await assert.rejects(startInfluxd(process.execPath), /exited before answering \/ping[\s\S]*Cannot find module/)
  await assert.rejects(startInfluxd('/nonexistent/influxd'), /spawn \/nonexistent\/influxd ENOENT/)
})
