/**
 * A write that reaches a read-only replica (a primary demoted by a failover, or a URL that now names a
 * replica) is answered `READONLY You can't write against a read only replica`: the store answers 503 (never a
 * 500, never a sign-out), the fault log names it `READONLY`, and the client drops the connection and makes a
 * new one (with Sentinel, to whichever server is the primary now). Against real redis-servers.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { GatewayError } from '../../src/errors.ts'
import { createRecordSigner } from '../../src/session/record-signer.ts'
import { createRedisClient } from '../../src/session/redis-client.ts'
import { createRedisSessionStore } from '../../src/session/redis-session-store.ts'
import { storeFailureKind } from '../../src/session/store-unavailable.ts'
import { requireBinary } from '../helpers/binaries.ts'
import { startRedis } from '../helpers/redis-server.ts'

const REDIS = requireBinary('redis-server', 'redis-server', 'Redis client on a read-only replica')
const skip = REDIS === undefined ? 'redis-server not installed' : false

test('a write on a replica: 503, kind READONLY, and the connection is made anew; writes work once it is a primary again', {
  skip, timeout: 20_000
}, async (t) => {
  const other = await startRedis(REDIS as string)
  t.after(() => other.stop())
  const redis = await startRedis(REDIS as string)
  t.after(() => redis.stop())
  const client = createRedisClient({ url: redis.url, connectTimeoutMs: 2000, commandTimeoutMs: 1000 })
  const sessions = createRedisSessionStore({
    client,
    keyPrefix: 'gw:',
    timeouts: () => ({ idleMs: 600_000, absoluteMs: 3_600_000 }),
    now: Date.now,
    signer: createRecordSigner({ key: randomBytes(32) })
  })
  t.after(() => sessions.close())
  const { id } = await sessions.create('alice', 'stamp')

  assert.equal(await redis.command('REPLICAOF', '127.0.0.1', String(other.port)), '+OK\r\n') // demoted, as by a failover
  const reconnected = new Promise<void>((resolve) => client.once('reconnecting', () => client.once('ready', resolve)))
  const refused = await sessions.create('alice', 'stamp').then(() => undefined, (err: unknown) => err)
  assert.ok(refused instanceof GatewayError && refused.status === 503, 'a sign-in on a replica is 503')
  assert.equal(storeFailureKind(refused.cause), 'READONLY', 'its transaction aborted by READONLY')
  const signOut = await sessions.destroy(id).then(() => undefined, (err: unknown) => err)
  assert.ok(signOut instanceof GatewayError && signOut.status === 503, 'a sign-out on a replica is 503')
  assert.equal(storeFailureKind(signOut.cause), 'READONLY')
  await reconnected // the READONLY reply made the client drop its connection and make a new one

  assert.equal(await redis.command('REPLICAOF', 'NO', 'ONE'), '+OK\r\n')
  assert.ok((await sessions.create('alice', 'stamp')).id, 'a primary again: sign-ins work')
})
