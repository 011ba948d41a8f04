import { randomUUID } from 'node:crypto'
import RedisMock from 'ioredis-mock'
import type { Redis } from 'ioredis'

/**
 * An in-process Redis (ioredis-mock) private to one store: instances that share a host:port share
 * their data, so each gets a unique host. ioredis-mock keeps every keyspace in a module-level map
 * forever, so `quit` first empties this one: a closed store (a test, a reload) leaves nothing behind.
 */
export function createMemoryRedisClient (): Redis {
  const client = new RedisMock({ host: `influx-gateway-${randomUUID()}` })
  const quit = client.quit.bind(client)
  client.quit = async () => {
    await client.flushall()
    return await quit()
  }
  return client
}
