import { z } from 'zod'
import { restartOnly } from './restart-only.ts'
import { duration, integer, recordKey, routeRule, secret } from './schema-types.ts'

/** `host:port` of one Sentinel (`[v6]:port` for an IPv6 address). */
const sentinelAddress = z.string()
  .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'write host:port, e.g. sentinel-1:26379')
  .refine((address) => Number(/:(\d+)$/.exec(address)?.[1] ?? 0) <= 65535, 'port above 65535')

const redis = z.object({
  url: z.string().regex(/^rediss?:\/\/\S+$/, 'write redis://[user:password@]host:port[/db] or rediss:// for TLS').optional()
    .describe('Redis URL. Without a password it may be inline (`redis://redis:6379`); one carrying a password ' +
      // eslint-disable-next-line no-template-curly-in-string -- the description shows the literal syntax
      '(`user:pass@`, `:pass@`) must come from `${REDIS_URL}` or `{ file: PATH }`. The password is never logged. ' +
      'Either this or `sentinels`.'),
  sentinels: z.array(sentinelAddress).min(1).max(16).optional()
    .describe('Redis Sentinel instead of one Redis: the `host:port` of each Sentinel (e.g. three). The gateway asks them ' +
      'for the primary of group `name`, follows it through failovers without a restart, and answers a sign-in only ' +
      'once a replica has the new session (`WAIT`). Either this or `url`.'),
  name: z.string().min(1).optional()
    .describe('With `sentinels`: the master group name the Sentinels monitor (`sentinel monitor NAME …`).'),
  password: secret.optional()
    // eslint-disable-next-line no-template-curly-in-string -- the description shows the literal syntax
    .describe('With `sentinels`: the password of the Redis primary and replicas (`requirepass`), from `${ENV}` or `{ file: PATH }`.'),
  sentinelPassword: secret.optional()
    // eslint-disable-next-line no-template-curly-in-string -- the description shows the literal syntax
    .describe('With `sentinels`: the password of the Sentinels themselves (their `requirepass`), from `${ENV}` or `{ file: PATH }`; ' +
      'often not the data one.'),
  keyPrefix: z.string().min(1).default('influx-gateway:').describe('Prefix of every key the gateway writes.'),
  connectTimeout: duration('5s', { min: '100ms' }).describe('Longest wait to (re)connect.'),
  commandTimeout: duration('2s', { min: '10ms' })
    .describe('Longest wait for one command; then the request gets 503. With `sentinels` it also bounds a sign-in\'s wait for a replica.'),
  cacheTime: duration('1s', { min: '0s' })
    .describe('How long a replica trusts its in-process copy of a session before asking Redis again: ' +
      'a sign-out or revocation on another replica takes effect here within this. `0s` asks Redis on every request.')
}).strict().superRefine(checkRedisTarget)

/** `session:`: the store, the timeouts, the record keys, the cap and the cookie. */
export const sessionSchema = z.object({
  store: restartOnly(z.enum(['memory', 'redis']).default('memory')
    .describe('`memory`: in process, gone on restart; `redis`: shared by replicas (needs `session.redis`).')),
  // Every key under it (one Redis or Sentinel, passwords, timeouts) is read once at start.
  redis: restartOnly(redis.optional().describe('The Redis shared by the replicas (`session.store: redis`).')),
  idleTimeout: duration('10m', { min: '1m' }).describe('A session ends after this long without an authenticated request.'),
  absoluteTimeout: duration('8h', { min: '1m' }).describe('A session ends this long after sign-in, however busy.'),
  recordKey: restartOnly(recordKey.optional()
    .describe('Key of the HMAC-SHA256 that signs every session and sign-in flow record in the store, so that a record written, ' +
      'copied or edited there by anyone else is no session. Required with `store: redis` (the same on every replica; ' +
      'e.g. `openssl rand -base64 32`); otherwise one is made at start.')),
  previousRecordKey: restartOnly(recordKey.optional()
    .describe('During a rotation, the former `recordKey`: records it signed are still accepted, and signed with `recordKey` ' +
      'when next written. Remove it once `absoluteTimeout` has passed.')),
  maxPerIdentity: integer(0, 1000).default(10)
    .describe('Most sessions one identity (source and name: a file user and a directory user of one name are two) may hold, ' +
      'implicit auth-proxy sessions included (one per replica and group set: keep the cap above that, or they end each other); ' +
      'a sign-in past it ends that identity\'s oldest-created session (its minted ' +
      'token deleted). `0`: no cap. Reloadable: a lower cap applies at each identity\'s next sign-in.'),
  passiveRoutes: z.array(routeRule).default(['GET /api/v2/me'])
    .describe('Requests that are authenticated but do not extend the idle timeout (UI polling).'),
  cookie: z.object({
    name: z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'not a cookie name').default('influxdb-oss-session')
      .describe('Session cookie name (InfluxDB\'s by default).'),
    path: z.string().regex(/^\/[^;\s]*$/, 'write a path such as /').default('/')
      .describe('Cookie `Path`; `/` so the v1 `/query`, `/write` and `/gateway/` routes get it too.'),
    sameSite: z.enum(['strict', 'lax']).default('strict').describe('Cookie `SameSite`.'),
    secure: z.enum(['auto', 'always', 'never']).default('auto')
      .describe('`auto`: `Secure` when the client connection is HTTPS (TLS here or a trusted proxy\'s `X-Forwarded-Proto`).')
  }).strict().superRefine((cookie, ctx) => {
    // Browsers silently drop cookies whose prefix promises more than the attributes deliver.
    if (cookie.name.startsWith('__Host-') && (cookie.secure !== 'always' || cookie.path !== '/')) {
      ctx.addIssue({ code: 'custom', path: ['name'], message: '__Host- cookies need secure: always and path: /' })
    } else if (cookie.name.startsWith('__Secure-') && cookie.secure !== 'always') {
      ctx.addIssue({ code: 'custom', path: ['name'], message: '__Secure- cookies need secure: always' })
    }
  }).prefault({}).describe('How the session cookie is written.')
}).strict()

/** Replicas sharing a Redis must sign and check records with one key of their own; a previous key only beside a current one. */
export function checkRecordKeys (
  config: { session?: { store?: unknown, recordKey?: unknown, previousRecordKey?: unknown } }, ctx: z.RefinementCtx
): void {
  const { store, recordKey, previousRecordKey } = config.session ?? {}
  if (store === 'redis' && recordKey === undefined) {
    const message = 'required when session.store is redis: the key every replica signs session records with, ' +
      // eslint-disable-next-line no-template-curly-in-string -- the message shows the literal syntax
      'from ${ENV_VAR} or { file: PATH }'
    ctx.addIssue({ code: 'custom', path: ['session', 'recordKey'], message })
  }
  if (previousRecordKey !== undefined && recordKey === undefined) {
    ctx.addIssue({ code: 'custom', path: ['session', 'previousRecordKey'], message: 'needs session.recordKey (the key it is rotated to)' })
  }
}

/** One Redis (`url`) or Sentinel (`sentinels` and `name`), never both; the passwords of the Sentinel form go only with it. */
function checkRedisTarget (
  redis: { url?: string, sentinels?: string[], name?: string, password?: string, sentinelPassword?: string }, ctx: z.RefinementCtx
): void {
  if (redis.url !== undefined && redis.sentinels !== undefined) {
    const message = 'give either session.redis.url (one Redis) or session.redis.sentinels (Redis Sentinel), not both'
    ctx.addIssue({ code: 'custom', path: ['sentinels'], message })
  } else if (redis.url === undefined && redis.sentinels === undefined) {
    const message = 'required: session.redis.url (one Redis) or session.redis.sentinels and name (Redis Sentinel)'
    ctx.addIssue({ code: 'custom', path: ['url'], message })
  }
  if (redis.sentinels !== undefined && redis.name === undefined) {
    ctx.addIssue({ code: 'custom', path: ['name'], message: 'required with session.redis.sentinels: the master group name they monitor' })
  }
  if (redis.sentinels !== undefined) return
  for (const key of ['name', 'password', 'sentinelPassword'] as const) {
    const hint = key === 'password' ? ' (with url, the password goes in the URL)' : ''
    if (redis[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `only with session.redis.sentinels${hint}` })
  }
}
