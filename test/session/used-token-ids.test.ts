import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createExpirySweeper } from '../../src/session/expiry-sweeper.ts'
import { createMemoryRedisClient } from '../../src/session/memory-redis-client.ts'
import { createUsedTokenIds } from '../../src/session/used-token-ids.ts'

function setup (t: { after: (fn: () => unknown) => void }) {
  const client = createMemoryRedisClient()
  const sweeper = createExpirySweeper({ client, now: () => Date.now(), intervalMs: 3_600_000 })
  t.after(async () => { sweeper.close(); await client.quit() })
  return { client, sweeper }
}

test('a token id is used once per issuer, for as long as it is remembered; a forgotten use can be made again', async (t) => {
  const { client, sweeper } = setup(t)
  const used = createUsedTokenIds({ client, keyPrefix: 'gw:', now: () => Date.now(), sweeper })
  assert.equal(await used.firstUse('https://idp', 'jti-1', 150_000), true)
  assert.equal(await used.firstUse('https://idp', 'jti-1', 150_000), false, 'a replay')
  assert.equal(await used.firstUse('https://other-idp', 'jti-1', 150_000), true, 'another issuer\'s id is another')
  const keys = await client.keys('gw:used-jti:*')
  assert.equal(keys.length, 2)
  assert.ok(keys.every((k) => /^gw:used-jti:[\w-]{43}$/.test(k)), 'keyed by a digest, not the id')
  const ttl = await client.pttl(keys[0] as string)
  assert.ok(ttl > 0 && ttl <= 150_000, `expires: ${ttl}`)
  assert.equal(sweeper.size(), 2, 'in process, the sweeper frees them once due')
  await used.forget('https://idp', 'jti-1')
  assert.equal(sweeper.size(), 1)
  assert.equal(await used.firstUse('https://idp', 'jti-1', 150_000), true)
})
