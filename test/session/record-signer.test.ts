import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { createReloader } from '../../src/reload.ts'
import { createMemoryRedisClient } from '../../src/session/memory-redis-client.ts'
import { createRecordSigner, type RecordKind } from '../../src/session/record-signer.ts'
import { createRedisSessionStore } from '../../src/session/redis-session-store.ts'
import { hashSessionId } from '../../src/session/session-id.ts'
import { signIn, startGateway } from '../helpers/gateway.ts'
import { recordSecret } from '../helpers/secret-ledger.ts'

const OLD_KEY = randomBytes(32)
const NEW_KEY = randomBytes(32)

test('a record opens only under the store key it was signed for, unchanged, with a key the signer holds', () => {
  const rejected: RecordKind[] = []
  const signer = createRecordSigner({ key: NEW_KEY, onRejected: (kind) => rejected.push(kind) })
  const sealed = signer.sign('gw:session:A', '{"u":"alice","x":"a.b"}')
  assert.equal(signer.open('session', 'gw:session:A', sealed), '{"u":"alice","x":"a.b"}')
  assert.equal(signer.open('session', 'gw:session:A', null), undefined, 'nothing stored is no rejection')
  assert.deepEqual(rejected, [])
  const refused = [
    ['gw:session:B', sealed],
    ['gw:session:A', sealed.replace('alice', 'admin')],
    ['gw:session:A', '{"u":"alice","x":"a.b"}'],
    ['gw:session:A', `${sealed.slice(0, 42)}.${sealed.slice(43)}`],
    ['gw:session:A', createRecordSigner({ key: OLD_KEY }).sign('gw:session:A', '{"u":"alice","x":"a.b"}')],
    ['gw:session:A', '']
  ] as const
  for (const [key, stored] of refused) assert.equal(signer.open('flow', key, stored), undefined, stored)
  assert.deepEqual(rejected, refused.map(() => 'flow'))
  assert.throws(() => createRecordSigner({ key: randomBytes(31) }), /at least 32 bytes/)
  assert.throws(() => createRecordSigner({ key: NEW_KEY, previousKey: 'short' }), /at least 32 bytes/)
})

test('a key rotation: records of the previous key are read, and signed with the new one when next written', async (t) => {
  let now = Date.UTC(2026, 10, 28)
  const client = createMemoryRedisClient()
  t.after(() => client.quit())
  const storeWith = (key: Buffer, previousKey?: Buffer): ReturnType<typeof createRedisSessionStore> => createRedisSessionStore({
    client, keyPrefix: 'gw:', timeouts: () => ({ idleMs: 600_000, absoluteMs: 3_600_000 }), now: () => now, signer: createRecordSigner({ key, previousKey })
  })
  const before = storeWith(OLD_KEY)
  const rotating = storeWith(NEW_KEY, OLD_KEY)
  const after = storeWith(NEW_KEY)
  const { id } = await before.create('alice', 'stamp-a')
  assert.equal((await rotating.get(id, { renew: false }))?.user, 'alice', 'read with the previous key')
  assert.equal(await after.get(id, { renew: false }), undefined, 'not with the new key alone, yet')
  now += 120_000 // past a tenth of the idle timeout: the renewal rewrites the record
  assert.equal((await rotating.get(id))?.user, 'alice')
  assert.equal((await after.get(id, { renew: false }))?.user, 'alice', 'signed with the new key since')
  assert.equal(await before.get(id, { renew: false }), undefined, 'and no longer with the old one')
  assert.ok((await client.get(`gw:session:${hashSessionId(id)}`))?.includes('"u":"alice"'))
})

test('a reload that changes session.recordKey keeps the running key (sessions live on) and says it needs a restart, without the key', async (t) => {
  const gw = await startGateway(t)
  const cookie = await signIn(gw)
  const recordKey = randomBytes(32).toString('base64url')
  recordSecret(recordKey, 'record-key')
  const next = { ...gw.deps.config, session: { ...gw.deps.config.session, recordKey } }
  assert.equal(await createReloader({ deps: gw.deps, logger: gw.deps.logger, load: () => next }).reload('test'), true)
  const line = await gw.waitForLog((l) => l.msg === 'these settings only take effect after a restart')
  assert.deepEqual(line.settings, ['session.recordKey'])
  gw.deps.sessions.clear() // the next request reads the store, under the key it was signed with
  assert.equal((await fetch(`${gw.url}/api/v2/buckets`, { headers: { cookie } })).status, 200)
})
