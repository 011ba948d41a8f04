/**
 * The gateway in front of a real InfluxDB 1.x (Debian's influxd 1.6.7, auth on): session users write and
 * read through it with Basic or minted-JWT upstream credentials, smuggled `u`/`p` cannot replace the
 * injected credential nor ride on a passed-through token, influxd's unauthenticated debug endpoints are
 * closed whatever the Authorization header, and client Bearer JWTs pass.
 */
import assert from 'node:assert/strict'
import { createHmac, randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { requireBinary } from '../helpers/binaries.ts'
import { basic, signIn, startGateway } from '../helpers/gateway.ts'
import { startInfluxd, type Influxd } from '../helpers/influxd.ts'

const binary = requireBinary('influxd', 'influxdb', 'real InfluxDB 1.x')

const DB = 'gw_it'
const BOB_PW = randomBytes(12).toString('hex')
const CAROL_PW = randomBytes(12).toString('hex')
const MALLORY_PW = randomBytes(12).toString('hex')
const T0 = 1_700_000_000_000_000_000n
const UNAUTHORIZED = { code: 'unauthorized', message: 'unauthorized access' }

interface Answer { status: number, headers: Headers, text: string, json: unknown }

/** One fetch; the body read as text and, when it is JSON, parsed. */
async function call (url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, init)
  const text = await res.text()
  const json = (res.headers.get('content-type') ?? '').includes('json') && text !== '' ? JSON.parse(text) : undefined
  return { status: res.status, headers: res.headers, text, json }
}

/** `POST /write?db=DB<extra>` with a line-protocol body. */
function write (base: string, line: string, headers: Record<string, string> = {}, extra = ''): Promise<Answer> {
  return call(`${base}/write?db=${DB}${extra}`, { method: 'POST', headers, body: line })
}

/** `GET /query?db=DB&epoch=ns&q=…`. */
function select (base: string, q: string, headers: Record<string, string> = {}): Promise<Answer> {
  return call(`${base}/query?${new URLSearchParams({ db: DB, epoch: 'ns', q }).toString()}`, { headers })
}

/** The value rows of the first series of a `/query` answer. */
function rows (body: unknown): unknown[] {
  const results = (body as { results?: Array<{ series?: Array<{ values?: unknown[] }> }> }).results
  return results?.[0]?.series?.[0]?.values ?? []
}

/** How many points a measurement holds, asked of influxd directly as admin. */
async function count (influxd: Influxd, measurement: string): Promise<number> {
  const row = rows(await influxd.query(`SELECT COUNT("value") FROM "${measurement}"`, DB))[0] as [unknown, number] | undefined
  return row?.[1] ?? 0
}

/** An HS256 JWT built by hand. */
function hs256 (claims: object, secret: string): string {
  const b64 = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url')
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
}

/** Asserts the gateway's own uniform 401. */
function assertGateway401 (a: Answer, what = ''): void {
  assert.equal(a.status, 401, `${what} ${a.text}`)
  assert.deepEqual(a.json, UNAUTHORIZED)
  assert.equal(a.headers.get('x-platform-error-code'), 'unauthorized')
}

test('gateway in front of a real InfluxDB 1.6.7', { skip: binary === undefined ? 'influxd not installed' : false }, async (t) => {
  let started = performance.now()
  const influxd = await startInfluxd(binary as string)
  t.after(() => influxd.stop())
  t.diagnostic(`influxd ready in ${Math.round(performance.now() - started)} ms`)
  await influxd.query(`CREATE DATABASE "${DB}"`)
  for (const [name, pw] of [['bob', BOB_PW], ['carol', CAROL_PW], ['mallory', MALLORY_PW]]) {
    await influxd.query(`CREATE USER "${name}" WITH PASSWORD '${pw}'`)
  }
  await influxd.query(`GRANT ALL ON "${DB}" TO "bob"`)
  await influxd.query(`GRANT ALL ON "${DB}" TO "carol"`)

  started = performance.now()
  const gw = await startGateway(t, {
    upstreamUrl: influxd.url,
    jwtSharedSecret: influxd.sharedSecret,
    users: [
      { name: 'bob', password: 'gateway-pass-b', basic: { username: 'bob', password: BOB_PW } },
      { name: 'carol', password: 'gateway-pass-c', jwt: { username: 'carol' } }
    ]
  })
  const cookies = { bob: await signIn(gw, 'bob', 'gateway-pass-b'), carol: await signIn(gw, 'carol', 'gateway-pass-c') }
  t.diagnostic(`gateway up, bob and carol signed in, in ${Math.round(performance.now() - started)} ms`)

  await t.test('basic and jwt session users write and read back with only the cookie', async () => {
    for (const [i, who] of (['bob', 'carol'] as const).entries()) {
      const ts = T0 + BigInt(i)
      const w = await write(gw.url, `owned,who=${who} value=${10 + i} ${ts}`, { cookie: cookies[who] })
      assert.equal(w.status, 204, w.text)
      const r = await select(gw.url, `SELECT "value" FROM "owned" WHERE "who"='${who}'`, { cookie: cookies[who] })
      assert.equal(r.status, 200, r.text)
      assert.deepEqual(rows(r.json), [[Number(ts), 10 + i]])
    }
    const direct = await influxd.query('SELECT "who", "value" FROM "owned"', DB)
    assert.deepEqual(rows(direct).map((row) => (row as unknown[]).slice(1)), [['bob', 10], ['carol', 11]])
  })

  await t.test('without a session, write and query get the gateway\'s 401 in InfluxDB 1.x\'s dialect, and nothing lands', async () => {
    assert.equal(await gw.deps.upstreamVersion.probe(), 1, 'learned from /ping')
    const direct = await select(influxd.url, 'SELECT "value" FROM "owned"')
    assert.equal(direct.status, 401)
    for (const answer of [await write(gw.url, `anon value=1 ${T0}`), await select(gw.url, 'SELECT "value" FROM "owned"')]) {
      assert.equal(answer.status, 401, answer.text)
      assert.deepEqual(Object.keys(answer.json as object), Object.keys(direct.json as object), 'the body has 1.x\'s shape: {"error"}')
      assert.equal(typeof (answer.json as { error?: unknown }).error, 'string')
      assert.equal(answer.headers.get('www-authenticate'), direct.headers.get('www-authenticate'))
      assert.equal(answer.headers.get('www-authenticate'), 'Basic realm="InfluxDB"')
      assert.equal(answer.headers.get('x-platform-error-code'), null)
      assert.match(answer.headers.get('content-type') ?? '', /^application\/json/)
    }
    assert.equal(await count(influxd, 'anon'), 0)
    assertGateway401(await call(`${gw.url}/api/v2/buckets`), 'the v2 routes keep InfluxDB 2\'s shape')
  })

  await t.test('smuggled u/p (plain, percent-encoded, ;-separated) cannot replace the session credential', async () => {
    // Directly, with bob's own header, each spelling changes influxd's answer: plain and percent-encoded
    // u/p override it (mallory may not write: 403). Debian builds 1.6.7 with Go 1.19, whose query parser
    // drops a pair containing `;` (so `db` goes missing: 400) instead of splitting on it as Go < 1.17 did.
    const variants: Array<[string, number]> = [
      [`&u=mallory&p=${MALLORY_PW}`, 403],
      [`&%75=mallory&%70=${MALLORY_PW}`, 403],
      [`;u=mallory;p=${MALLORY_PW}`, 400]
    ]
    let landed = 0
    for (const [i, [extra, directStatus]] of variants.entries()) {
      const direct = await write(influxd.url, `smuggle value=${i} ${T0}`, { authorization: basic('bob', BOB_PW) }, extra)
      assert.equal(direct.status, directStatus, `${extra} directly: ${direct.text}`)
      // Through the gateway u/p are stripped, so bob's (or carol's JWT) credential decides.
      for (const who of ['bob', 'carol'] as const) {
        const ts = T0 + BigInt(++landed)
        const w = await write(gw.url, `smuggle,who=${who} value=${i} ${ts}`, { cookie: cookies[who] }, extra)
        assert.equal(w.status, 204, `${who} ${extra}: ${w.text}`)
      }
    }
    assert.equal(await count(influxd, 'smuggle'), landed)
  })

  await t.test('/metrics and /debug/* are open on influxd but need a session through the gateway', async () => {
    for (const path of ['/metrics', '/debug/vars', '/debug/pprof/']) {
      const open = await call(`${influxd.url}${path}`)
      assert.equal(open.status, 200, `influxd ${path} without credentials`)
      assertGateway401(await call(`${gw.url}${path}`))
      const signedIn = await call(`${gw.url}${path}`, { headers: { cookie: cookies.bob } })
      assert.equal(signedIn.status, 200, `${path} with a session: ${signedIn.text.slice(0, 200)}`)
    }
    const vars = await call(`${gw.url}/debug/vars`, { headers: { cookie: cookies.carol } })
    assert.equal(typeof (vars.json as { cmdline?: unknown }).cmdline, 'object')
  })

  await t.test('a junk token cannot carry u/p past the gateway: no password login, no guessing', async () => {
    const q = `/query?${new URLSearchParams({ u: influxd.admin.username, p: influxd.admin.password, q: 'SHOW USERS' }).toString()}`
    const direct = await call(`${influxd.url}${q}`, { headers: { authorization: 'Token x' } })
    assert.equal(direct.status, 200, 'influxd itself logs in with u/p whatever the header says')
    assert.match(direct.text, /mallory/)
    for (const authorization of ['Token x', 'Bearer x', 'bearer anything']) {
      const through = await call(`${gw.url}${q}`, { headers: { authorization } })
      assert.equal(through.status, 401, `${authorization}: ${through.text}`)
      assert.doesNotMatch(through.text, /mallory/)
    }
  })

  await t.test('a token header does not open what influxd leaves unauthenticated', async () => {
    // influxd decodes escapes before routing these: `/debu%67/vars` is its `/debug/vars`.
    for (const path of ['/debug/vars', '/debug/pprof/cmdline', '/debug/requests', '/metrics', '/debu%67/vars']) {
      assert.equal((await call(`${influxd.url}${path}`)).status, 200, `influxd ${path} is open`)
      for (const authorization of ['Token x', 'Bearer x', 'bearer anything']) {
        assertGateway401(await call(`${gw.url}${path}`, { headers: { authorization } }))
      }
    }
  })

  await t.test('a path whose escapes are not UTF-8 never reaches influxd, which would serve it as its open /debug/*', async () => {
    // Go decodes `%ff` to a byte and influxd matches `/debug/vars` and `/debug/requests` (which lists client
    // addresses and user names, here for 1 s instead of 10) as prefixes: all of these are open on it.
    const notUtf8 = ['/debu%67/vars%ff', '/debug/vars%c0', '/debug/requests%ff?seconds=1', '/debu%67/requests%ed%a0%80?seconds=1']
    for (const path of notUtf8) {
      const open = await call(`${influxd.url}${path}`)
      assert.equal(open.status, 200, `influxd ${path} is open`)
      for (const headers of [{ authorization: 'Token junk' }, {}, { cookie: cookies.bob }] as Array<Record<string, string>>) {
        const through = await call(`${gw.url}${path}`, { headers })
        assert.equal(through.status, 400, `${path} ${JSON.stringify(headers)}: ${through.text.slice(0, 200)}`)
        assert.deepEqual(through.json, { code: 'invalid', message: 'request path must be percent-encoded UTF-8' })
        assert.doesNotMatch(through.text, /cmdline|memstats|database/)
      }
    }
    // On a v1 route, in the dialect 1.x clients read.
    const query = await call(`${gw.url}/query/%ff?q=SHOW+USERS`, { headers: { authorization: 'Token junk' } })
    assert.equal(query.status, 400)
    assert.deepEqual(query.json, { error: 'request path must be percent-encoded UTF-8' })
    assert.equal(query.headers.get('x-platform-error-code'), null)
  })

  await t.test('a client Bearer JWT without a cookie passes through untouched', async () => {
    const exp = Math.floor(Date.now() / 1000) + 60
    const good = await select(gw.url, 'SELECT "value" FROM "owned"', { authorization: `Bearer ${hs256({ username: 'carol', exp }, influxd.sharedSecret)}` })
    assert.equal(good.status, 200, good.text)
    assert.deepEqual(rows(good.json).map((row) => (row as unknown[])[1]), [10, 11])
    // A badly signed one reaches influxd too: its own 401 body, not the gateway's.
    const bad = await select(gw.url, 'SELECT "value" FROM "owned"', { authorization: `Bearer ${hs256({ username: 'carol', exp }, 'wrong')}` })
    assert.equal(bad.status, 401)
    assert.equal(typeof (bad.json as { error?: unknown }).error, 'string')
    assert.equal(bad.headers.get('x-platform-error-code'), null)
  })
})
