import assert from 'node:assert/strict'
import { test } from 'node:test'
import { GatewayError } from '../../src/errors.ts'
import { createRedisSessionStore, type SessionRedisClient } from '../../src/session/redis-session-store.ts'
import { ALICE, basic, signIn, startGateway } from '../helpers/gateway.ts'
import { randomBytes } from 'node:crypto'
import { createRecordSigner } from '../../src/session/record-signer.ts'

test('store failures become 503 unavailable, not 500 and not a sign-out', async (t) => {
  const down = async (): Promise<never> => { throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }
  const client = { set: down, get: down, getex: down, pttl: down, pexpire: down, del: down, ping: down, quit: async () => 'OK', disconnect: () => {} } as unknown as SessionRedisClient
  const store = createRedisSessionStore({ client, keyPrefix: 'x:', timeouts: () => ({ idleMs: 1000, absoluteMs: 2000 }), now: Date.now, signer: createRecordSigner({ key: randomBytes(32) }) })
  const id = 'A'.repeat(43)
  for (const op of [() => store.create('alice'), () => store.get(id), () => store.destroy(id), () => store.ping()]) {
    await assert.rejects(op(), (err: unknown) => err instanceof GatewayError && err.status === 503 && err.message === 'session store is unavailable')
  }

  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  gw.deps.replace({ sessions: { ...store, peek: () => undefined, clear: () => {} } })
  const res = await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })
  assert.equal(res.status, 503)
  assert.deepEqual(await res.json(), { code: 'unavailable', message: 'session store is unavailable' })
  assert.equal(res.headers.get('set-cookie'), null, 'the cookie is kept for when the store is back')
  assert.equal((await fetch(`${gw.url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic(ALICE.name, ALICE.password) } })).status, 503)
  assert.equal(gw.influx.requests.length, 0)
})
