/**
 * Single sign-on across replicas sharing a real redis-server: a flow started on one replica finishes on
 * another (the provider returns through the load balancer to either), once only.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { requireBinary } from '../helpers/binaries.ts'
import { startGateway } from '../helpers/gateway.ts'
import { startOidcProvider } from '../helpers/oidc-provider.ts'
import { freePort, startRedis } from '../helpers/redis-server.ts'
import { FROM_PROVIDER, SsoBrowser } from '../helpers/sso-browser.ts'
import { READERS_TOKEN } from '../helpers/sso-gateway.ts'

const REDIS = requireBinary('redis-server', 'redis-server', 'Redis session store')
const skip = REDIS === undefined ? 'redis-server not installed' : false

test('a flow started on replica A finishes on replica B, once', { skip }, async (t) => {
  const redis = await startRedis(REDIS as string)
  t.after(() => redis.stop())
  const portB = await freePort()
  const callbackUrl = `http://127.0.0.1:${portB}/gateway/oidc/callback`
  const provider = await startOidcProvider(t, { redirectUrl: callbackUrl })
  const replica = async (port: number): ReturnType<typeof startGateway> => await startGateway(t, {
    users: [],
    config: { server: { port }, session: { store: 'redis', redis: { url: redis.url } } },
    oidc: { issuer: provider.issuer, clientId: provider.clientId, clientSecret: provider.clientSecret, redirectUrl: callbackUrl, scopes: ['openid', 'profile', 'groups'], allowHttpIssuer: true },
    access: [{ group: 'influx-readers', token: READERS_TOKEN }]
  })
  const a = await replica(0)
  const b = await replica(portB)
  const browser = new SsoBrowser()
  const callback = await browser.signInAtProvider(`${a.url}/gateway/oidc/login?returnTo=%2Forgs%2F9`, 'alice', callbackUrl)
  const flowCookie = browser.cookieHeader()
  const back = await browser.request(callback, { headers: FROM_PROVIDER })
  assert.equal(back.location, `${b.url}/orgs/9`)
  assert.equal((await browser.request(`${a.url}/api/v2/me`)).status, 200, 'the session is shared too')
  const replay = await fetch(callback.replace(b.url, a.url), { headers: { cookie: flowCookie }, redirect: 'manual' })
  assert.equal(replay.status, 400, 'used up on B, so refused on A')
})
