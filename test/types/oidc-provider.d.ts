/**
 * The little of `oidc-provider` 8 (which ships no types) that the test provider uses.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  /** A provider: an OpenID Connect issuer as a Node request handler. */
  export default class Provider {
    constructor (issuer: string, configuration: Record<string, unknown>)
    callback (): (req: IncomingMessage, res: ServerResponse) => void
    proxy: boolean
  }
}
