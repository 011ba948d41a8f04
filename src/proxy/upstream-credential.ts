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

/**
 * `Token <token>` for InfluxDB 2, `Basic base64(user:pass)` for an InfluxDB 1.x user, or a fresh HS256
 * JWT `{username, exp}` (exp = now + 60 s) signed with the shared secret, per request.
 * @throws Error for a jwt credential without a shared secret (the config schema prevents it).
 */
export function createCredentialBuilder (opts: CredentialBuilderOptions): CredentialBuilder {
  return (user) => {
    if (user.token !== undefined) return `Token ${user.token}`
    if (user.basic !== undefined) {
      return `Basic ${Buffer.from(`${user.basic.username}:${user.basic.password}`).toString('base64')}`
    }
    if (user.jwt !== undefined && opts.jwtSharedSecret !== undefined) {
      const exp = Math.floor(opts.now() / 1000) + JWT_LIFETIME_S
      return `Bearer ${signJwt({ username: user.jwt.username, exp }, opts.jwtSharedSecret)}`
    }
    throw new Error('no usable upstream credential')
  }
}

const JWT_HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')

/** Signs claims as a compact HS256 JWT. */
export function signJwt (claims: Record<string, unknown>, secret: string): string {
  const payload = `${JWT_HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`
  return `${payload}.${createHmac('sha256', secret).update(payload).digest('base64url')}`
}
