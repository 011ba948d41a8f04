import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createExpirySweeper } from '../../src/session/expiry-sweeper.ts'
import { createMemoryRedisClient } from '../../src/session/memory-redis-client.ts'
import { createProviderSessionIndex, MAX_NAMES } from '../../src/session/provider-session-index.ts'

function setup (t: { after: (fn: () => unknown) => void }) {
  const client = createMemoryRedisClient()
  const sweeper = createExpirySweeper({ client, now: () => Date.now(), intervalMs: 3_600_000 })
  t.after(async () => { sweeper.close(); await client.quit() })
  return { client, sweeper }
}

test('the provider session index keeps at most MAX_NAMES names per sid or subject, each key living an absolute timeout', async (t) => {
  const { client, sweeper } = setup(t)
  const index = createProviderSessionIndex({ client, keyPrefix: 'gw:', now: () => Date.now(), sweeper })
  for (let i = 0; i < MAX_NAMES + 4; i++) await index.add({ sub: 'sub-1', sid: `sid-${i % 2}` }, `name-${i}`, 3_600_000)
  await index.add({ sub: 'sub-1' }, 'name-0', 3_600_000)
  const names = await index.names({ sub: 'sub-1' })
  assert.equal(names.length, MAX_NAMES)
  assert.deepEqual((await index.names({ sid: 'sid-0' })).length, MAX_NAMES / 2 + 2, 'each sid its own set')
  assert.deepEqual(await index.names({ sid: 'unknown' }), [])
  for (const key of await client.keys('gw:oidc-*')) {
    const ttl = await client.pttl(key)
    assert.ok(ttl > 3_500_000 && ttl <= 3_600_000, `${key}: ${ttl}`)
  }
})
