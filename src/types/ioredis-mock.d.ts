// ioredis-mock ships no types; it implements the ioredis API, so it is typed as ioredis's client.
declare module 'ioredis-mock' {
  import type { Redis, RedisOptions } from 'ioredis'
  const RedisMock: new (options?: RedisOptions) => Redis
  export default RedisMock
}
