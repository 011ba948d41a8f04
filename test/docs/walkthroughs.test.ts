/**
 * The README's curl walkthroughs, run as written (test/helpers/doc-walkthrough.ts): the password hashed,
 * the config edited as the block shows, checked, the gateway started with `npm start`, and every curl
 * command sent to it. InfluxDB 2 is the double; InfluxDB 1.x is Debian's influxd 1.6.7 with auth on.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { requireBinary } from '../helpers/binaries.ts'
import { blockRunBy, commandLines } from '../helpers/doc-commands.ts'
import { runWalkthrough } from '../helpers/doc-walkthrough.ts'
import { startFakeInflux } from '../helpers/fake-influx.ts'
import { startInfluxd } from '../helpers/influxd.ts'
import { freePort } from '../helpers/redis-server.ts'
import { recordSecret } from '../helpers/secret-ledger.ts'

const RUNNER = 'test/docs/walkthroughs.test.ts'
const influxd = requireBinary('influxd', 'influxdb', 'the README walkthrough with InfluxDB 1.x')

/** The status line and headers of a `curl -i` answer, and its body. */
function answer (output: string): { status: number, head: string, body: string } {
  const [head = '', body = ''] = output.split(/\r\n\r\n/, 2)
  return { status: Number(/^HTTP\/[\d.]+ (\d{3})/.exec(head)?.[1]), head, body }
}

test('the InfluxDB 2 walkthrough signs alice in, forwards with her token and signs her out', async (t) => {
  const block = blockRunBy('README.md', RUNNER, 'InfluxDB 2 double')
  const token = randomBytes(16).toString('hex')
  recordSecret(token, 'token')
  recordSecret('correct horse battery staple', 'password')
  const influx = await startFakeInflux({ tokens: [token] })
  t.after(() => influx.close())
  const port = await freePort()
  const walk = await runWalkthrough(t, block, {
    env: { ALICE_INFLUX_TOKEN: token, INFLUX_URL: influx.url, GATEWAY_PORT: String(port), GATEWAY_METRICS_PORT: '0' },
    replace: [['127.0.0.1:8080', `127.0.0.1:${port}`]]
  })
  // Every command but the skipped export of the token and `npm start` (left running) produced an output.
  assert.equal(walk.steps.length, commandLines(block).length - 2)
  assert.match(walk.output('hash-password'), /^\$scrypt\$ln=14,r=8,p=1\$/)
  assert.equal(walk.output('check-config'), 'ok\n')
  const signin = answer(walk.output('/api/v2/signin'))
  assert.equal(signin.status, 204, signin.head)
  assert.match(signin.head, /^set-cookie: influxdb-oss-session=/im)
  assert.equal((JSON.parse(walk.output('/api/v2/buckets')) as { buckets: unknown[] }).buckets.length, 1)
  const write = await influx.waitForRequest((r) => r.path === '/api/v2/write')
  assert.equal(write.headers.authorization, `Token ${token}`)
  assert.equal(write.body.toString(), 'cpu load=0.5')
  assert.equal(answer(walk.output('/api/v2/signout')).status, 204)
  assert.ok(walk.gatewayLines.some((l) => l.includes('"msg":"stopped"')), 'the gateway stopped cleanly')
})

test('the InfluxDB 1.x walkthrough writes and reads through an access rule\'s 1.x user', { skip: influxd === undefined ? 'influxd not installed' : false }, async (t) => {
  const block = blockRunBy('README.md', RUNNER, 'influxd 1.6.7')
  recordSecret('bob likes long passwords', 'password')
  const db = await startInfluxd(influxd as string)
  t.after(() => db.stop())
  const port = await freePort()
  const walk = await runWalkthrough(t, block, {
    env: { INFLUX_ADMIN: `${db.admin.username}:${db.admin.password}`, INFLUX_URL: db.url, GATEWAY_PORT: String(port), GATEWAY_METRICS_PORT: '0' },
    replace: [['127.0.0.1:8080', `127.0.0.1:${port}`], ['http://127.0.0.1:8086', db.url]]
  })
  assert.equal(walk.output('check-config'), 'ok\n')
  assert.equal(answer(walk.output('/api/v2/signin')).status, 204)
  assert.equal(answer(walk.output('/write?db=telegraf')).status, 204)
  const series = JSON.parse(walk.output('SELECT * FROM cpu')) as { results: Array<{ series?: Array<{ values: unknown[][] }> }> }
  assert.equal(series.results[0]?.series?.[0]?.values[0]?.[1], 0.5, walk.output('SELECT * FROM cpu'))
  const refused = answer(walk.output('SHOW MEASUREMENTS'))
  assert.equal(refused.status, 401, refused.head)
  assert.deepEqual(JSON.parse(refused.body), { error: 'unauthorized access' })
  assert.equal(answer(walk.output('/api/v2/signout')).status, 204)
  // The point is in influxd, written through the gateway with the access rule's 1.x user (the walkthrough's only writer).
  const rows = await db.query('SELECT COUNT("load") FROM "cpu"', 'telegraf') as { results: Array<{ series?: Array<{ values: unknown[][] }> }> }
  assert.equal(rows.results[0]?.series?.[0]?.values[0]?.[1], 1)
})
