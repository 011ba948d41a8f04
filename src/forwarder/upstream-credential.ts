import { createHmac } from 'node:crypto'
import type { UpstreamCredential } from '../auth/access-rules.ts'

/** Options for {@link createCredentialBuilder}. */
export interface CredentialBuilderOptions {
  /** InfluxDB 1.x `[http] shared-secret`, for `jwt` credentials. */
  jwtSharedSecret: string | undefined
  now: () => number
}

/** Lifetime of a minted JWT: InfluxDB 1.x wants `exp`, and a short one limits replay. */
export const JWT_LIFETIME_S = 60

/** Builds the `Authorization` value that carries an upstream credential (a user's own, or an access rule's). */
export type CredentialBuilder = (credential: UpstreamCredential) => string

/** A minted JWT is reused until this long before its `exp`, then a new one is signed. */
const JWT_REUSE_MARGIN_S = 10

/**
 * `Token <token>` for InfluxDB 2, `Basic base64(user:pass)` for an InfluxDB 1.x user, or an HS256 JWT
 * `{username, exp}` (exp = 60 s after signing) signed with the shared secret. Built once per credential
 * object (the config's, so a reload starts afresh) and kept: JWTs until 10 s before they expire.
 * @throws Error for a jwt credential without a shared secret (the config schema prevents it).
 */
export function createCredentialBuilder (opts: CredentialBuilderOptions): CredentialBuilder {
  const built = new WeakMap<UpstreamCredential, { value: string, untilS: number }>()
  return (credential) => {
    const nowS = Math.floor(opts.now() / 1000)
    const cached = built.get(credential)
    if (cached !== undefined && nowS < cached.untilS) return cached.value
    const fresh = build(credential, nowS, opts.jwtSharedSecret)
    built.set(credential, fresh)
    return fresh.value
  }
}

function build (credential: UpstreamCredential, nowS: number, jwtSharedSecret: string | undefined): { value: string, untilS: number } {
  if (credential.token !== undefined) return { value: `Token ${credential.token}`, untilS: Infinity }
  if (credential.basic !== undefined) {
    const { username, password } = credential.basic
    return { value: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`, untilS: Infinity }
  }
  if (credential.jwt !== undefined && jwtSharedSecret !== undefined) {
    const exp = nowS + JWT_LIFETIME_S
    return { value: `Bearer ${signJwt({ username: credential.jwt.username, exp }, jwtSharedSecret)}`, untilS: exp - JWT_REUSE_MARGIN_S }
  }
  throw new Error('no usable upstream credential')
}

const JWT_HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')

/** Signs claims as a compact HS256 JWT. */
export function signJwt (claims: Record<string, unknown>, secret: string): string {
  const payload = `${JWT_HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`
  return `${payload}.${createHmac('sha256', secret).update(payload).digest('base64url')}`
}
