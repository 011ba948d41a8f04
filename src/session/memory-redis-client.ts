import { randomUUID } from 'node:crypto'
import RedisMock from 'ioredis-mock'
import type { Redis } from 'ioredis'
import { SWAP_SHA } from './record-swap.ts'

/** What the swap reads of ioredis-mock's internals: its keyspace, which expires lazily on `get`. */
interface MockKeyspace { data: { get (key: string): unknown } }

/**
 * An in-process Redis (ioredis-mock) private to one store: instances that share a host:port share
 * their data, so each gets a unique host. ioredis-mock keeps every keyspace in a module-level map
 * forever, so `quit` first empties this one: a closed store (a test, a reload) leaves nothing behind.
 *
 * The record swap's script (record-swap.ts) runs here as the JavaScript it stands for: ioredis-mock starts
 * a Lua interpreter for every script call, 2-5 ms of blocked event loop per renewal, where this is a
 * string comparison. It is as atomic as the script: the comparison and the write happen in one
 * synchronous step (ioredis-mock carries a command out when it is called), with nothing in between.
 */
export function createMemoryRedisClient (): Redis {
  const client = new RedisMock({ host: `influx-gateway-${randomUUID()}` })
  const quit = client.quit.bind(client)
  client.quit = async () => {
    await client.flushall()
    return await quit()
  }
  const evalsha = client.evalsha.bind(client) as (...args: unknown[]) => Promise<unknown>
  const keyspace = client as unknown as MockKeyspace
  client.evalsha = (async (sha: string, numKeys: number, ...args: Array<string | number>) => {
    if (sha !== SWAP_SHA) return await evalsha(sha, numKeys, ...args)
    const [key, expected, next, ttlMs] = args.map(String) as [string, string, string, string]
    if (keyspace.data.get(key) !== expected) return 0
    await (next === '' ? client.del(key) : client.set(key, next, 'PX', Number(ttlMs)))
    return 1
  }) as Redis['evalsha']
  return client
}
