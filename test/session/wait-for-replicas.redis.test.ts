/**
 * The store's durability rule with replicas (`session.redis.sentinels`): a new session is stored only once a
 * replica confirms it has it (`WAIT 1`), so the answer to a sign-in never names a session that a failover of
 * the primary could lose. Against real redis-servers: a primary and a replica of it; a lone Redis.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test, type TestContext } from 'node:test'
import { GatewayError } from '../../src/errors.ts'
import { createRecordSigner } from '../../src/session/record-signer.ts'
import { createRedisClient } from '../../src/session/redis-client.ts'
import { createRedisSessionStore } from '../../src/session/redis-session-store.ts'
import { hashSessionId } from '../../src/session/session-id.ts'
import type { SessionStore } from '../../src/session/session-store.ts'
import type { ReplicaWait } from '../../src/session/wait-for-replicas.ts'
import { requireBinary } from '../helpers/binaries.ts'
import { startRedis, type RedisServer } from '../helpers/redis-server.ts'

const REDIS = requireBinary('redis-server', 'redis-server', 'Redis session store durability')
const skip = REDIS === undefined ? 'redis-server not installed' : false

const WAIT: ReplicaWait = { replicas: 1, timeoutMs: 100 }

const storeDown = (err: unknown): boolean =>
  err instanceof GatewayError && err.status === 503 && err.message === 'session store is unavailable' &&
  (err.cause as NodeJS.ErrnoException).code === 'NOREPLICA'

function store (t: TestContext, url: string, waitReplicas?: ReplicaWait): SessionStore {
  const client = createRedisClient({ url, connectTimeoutMs: 2000, commandTimeoutMs: 500 })
  const signer = createRecordSigner({ key: randomBytes(32) })
  const created = createRedisSessionStore({
    client, keyPrefix: 'gw:', timeouts: () => ({ idleMs: 600_000, absoluteMs: 3_600_000 }), now: Date.now, signer, waitReplicas
  })
  t.after(() => created.close())
  return created
}

async function primaryAndReplica (t: TestContext): Promise<{ primary: RedisServer, replica: RedisServer }> {
  const primary = await startRedis(REDIS as string)
  t.after(() => primary.stop())
  const replica = await startRedis(REDIS as string, undefined, ['--replicaof', '127.0.0.1', String(primary.port)])
  t.after(() => replica.stop())
  const deadline = Date.now() + 10_000
  while (!(await replica.command('INFO', 'replication')).includes('master_link_status:up')) {
    assert.ok(Date.now() < deadline, 'the replica syncs within 10 s')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return { primary, replica }
}

test('with a replica, a session is stored once the replica has it: it is there when create answers', { skip }, async (t) => {
  const { primary, replica } = await primaryAndReplica(t)
  const sessions = store(t, primary.url, WAIT)
  for (let i = 0; i < 20; i++) {
    const { id } = await sessions.create('alice', 'stamp')
    assert.equal(await replica.command('EXISTS', `gw:session:${hashSessionId(id)}`), ':1\r\n', 'on the replica already')
  }
})

test('a replica that does not confirm in time: the sign-in fails with 503, never answered with a session it could lose', { skip }, async (t) => {
  const { primary, replica } = await primaryAndReplica(t)
  const sessions = store(t, primary.url, WAIT)
  const { id } = await sessions.create('alice', 'stamp')
  replica.pause() // SIGSTOP: the replica takes nothing more, as one cut off or far behind
  t.after(() => replica.resume())
  await assert.rejects(sessions.create('alice', 'stamp'), storeDown)
  assert.equal((await sessions.get(id))?.user, 'alice', 'sessions already stored still work: only new ones wait for a replica')
  replica.resume()
  assert.ok((await sessions.create('alice', 'stamp')).id, 'stored again once the replica confirms')
})

test('a lone Redis: with the rule there is no replica to confirm (503); without it (a url store) sign-ins work as always', { skip }, async (t) => {
  const redis = await startRedis(REDIS as string)
  t.after(() => redis.stop())
  await assert.rejects(store(t, redis.url, WAIT).create('alice', 'stamp'), storeDown)
  const { id } = await store(t, redis.url).create('alice', 'stamp')
  assert.equal((await store(t, redis.url).get(id))?.user, undefined, 'another store has another record key')
})
