/**
 * A real Chromium and a real InfluxDB 1.6.7 (auth on), which runs DDL sent by `GET /query`: a page on
 * another port of the same host (the same site, so the SameSite=Strict cookie rides along) tries to drop
 * a database and create an admin through a signed-in user's session, with an image, a no-cors fetch and a
 * navigation of the whole tab. Nothing may reach influxd.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { requireBinary } from '../helpers/binaries.ts'
import { CHROMIUM, launchBrowser, startSite } from '../helpers/browser.ts'
import { startGateway } from '../helpers/gateway.ts'
import { startInfluxd } from '../helpers/influxd.ts'

const INFLUXD = requireBinary('influxd', 'influxdb', 'real InfluxDB 1.x')
const skip = CHROMIUM === undefined ? 'chromium not installed' : INFLUXD === undefined ? 'influxd not installed' : false

const BASIC = `Basic ${Buffer.from('root:root gateway password').toString('base64')}`

test('a same-site page cannot run InfluxDB 1.x DDL through a signed-in user\'s cookie', { skip }, async (t) => {
  const influxd = await startInfluxd(INFLUXD as string)
  t.after(() => influxd.stop())
  await influxd.query('CREATE DATABASE victim')
  const gw = await startGateway(t, {
    upstreamUrl: influxd.url,
    users: [{ name: 'root', password: 'root gateway password', basic: influxd.admin }]
  })
  const drop = `${gw.url}/query?q=${encodeURIComponent('DROP DATABASE victim')}`
  const create = `${gw.url}/query?q=${encodeURIComponent("CREATE USER evil WITH PASSWORD 'evil' WITH ALL PRIVILEGES")}`
  const evil = await startSite(t, {
    '/': '<!doctype html><title>evil</title>',
    '/navigate': `<!doctype html><script>location.href = ${JSON.stringify(drop)}</script>`
  })

  const browser = await launchBrowser(t, CHROMIUM as string)
  const user = await browser.newPage()
  await user.goto(`${gw.url}/`) // influxd 1.x has no UI: its 404 page is origin enough
  assert.equal(await user.evaluate(async (basic) => (await fetch('/api/v2/signin', { method: 'POST', headers: { Authorization: basic } })).status, BASIC), 204)
  const own = await user.evaluate(async () => (await fetch('/query?q=SHOW+DATABASES')).status)
  assert.equal(own, 200, 'the user\'s own page reads through the gateway')

  const attacker = await browser.newPage()
  await attacker.goto(`${evil.origin}/`)
  const outcome = await attacker.evaluate(async ({ drop, create }) => {
    const image = await new Promise<string>((resolve) => {
      const img = new Image()
      img.onload = () => resolve('load')
      img.onerror = () => resolve('error')
      img.src = drop
    })
    const noCors = await fetch(create, { mode: 'no-cors', credentials: 'include' }).then((r) => r.type, (e: Error) => e.name)
    return { image, noCors }
  }, { drop, create })
  assert.deepEqual(outcome, { image: 'error', noCors: 'opaque' })

  const refused = await attacker.goto(`${evil.origin}/navigate`).then(async () => {
    await attacker.waitForURL(drop)
    return await attacker.content()
  })
  assert.match(refused, /cross-site request refused/)

  const databases = JSON.stringify(await influxd.query('SHOW DATABASES'))
  assert.match(databases, /"victim"/, 'the database is still there')
  assert.doesNotMatch(JSON.stringify(await influxd.query('SHOW USERS')), /"evil"/, 'no admin was created')
  assert.equal(await user.evaluate(async () => (await fetch('/query?q=SHOW+DATABASES')).status), 200, 'the user\'s session lives on')
})
