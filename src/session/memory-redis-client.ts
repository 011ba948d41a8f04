import { randomUUID } from 'node:crypto'
import RedisMock from 'ioredis-mock'
import type { Redis } from 'ioredis'

/**
 * An in-process Redis (ioredis-mock) private to one store: ioredis-mock instances that share a
 * host:port share their data, so each gets a unique host.
 */
export function createMemoryRedisClient (): Redis {
  return new RedisMock({ host: `influx-gateway-${randomUUID()}`, lazyConnect: false })
}
