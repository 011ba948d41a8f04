import type { TestContext } from 'node:test'
import { startGateway, type StartGatewayOptions, type TestGateway } from './gateway.ts'
import { startOidcProvider, type OidcProviderOptions, type TestOidcProvider } from './oidc-provider.ts'
import { freePort } from './redis-server.ts'

/** The upstream token the access rule gives the provider's group `influx-readers` (one the InfluxDB double accepts). */
export const READERS_TOKEN = 'test-token'

/** A gateway signing in at a real provider, and the provider. */
export interface SsoGateway extends TestGateway {
  provider: TestOidcProvider
  /** `<gateway>/gateway/oidc/callback`. */
  callbackUrl: string
  /** `<gateway>/gateway/oidc/login?returnTo=…`. */
  loginUrl: (returnTo?: string) => string
}

/** Options for {@link startSsoGateway}. */
export interface SsoGatewayOptions {
  /** More of the `oidc:` section (over issuer, client, redirect URL, `allowHttpIssuer: true`, the `groups` scope). */
  oidc?: Record<string, unknown>
  provider?: Omit<OidcProviderOptions, 'redirectUrl'>
  gateway?: Omit<StartGatewayOptions, 'oidc' | 'access'>
  /** Start the gateway while the provider is not listening yet (it is started on the issuer's port later by the test). */
  providerDown?: boolean
  /** Register the gateway's `<gatewayPrefix>/oidc/backchannel-logout` at the provider (its back-channel logout on). */
  backchannelLogout?: boolean
}

/**
 * A real provider (see `oidc-provider.ts`) and the real gateway in front of the InfluxDB double, with
 * `oidc:` pointing at the provider and one access rule: group `influx-readers` → {@link READERS_TOKEN}.
 */
export async function startSsoGateway (t: TestContext, opts: SsoGatewayOptions = {}): Promise<SsoGateway> {
  const port = await freePort()
  const callbackUrl = `http://127.0.0.1:${port}/gateway/oidc/callback`
  const providerPort = await freePort()
  const backchannelLogoutUri = opts.backchannelLogout === true ? `http://127.0.0.1:${port}/gateway/oidc/backchannel-logout` : undefined
  const provider = opts.providerDown === true
    ? {
        issuer: `http://127.0.0.1:${providerPort}`,
        port: providerPort,
        clientId: 'influx-gateway',
        clientSecret: 'oidc-client-secret-0123456789abcdef',
        signingKey: {},
        stop: async () => {}
      }
    : await startOidcProvider(t, { ...opts.provider, redirectUrl: callbackUrl, port: providerPort, backchannelLogoutUri })
  const gw = await startGateway(t, {
    users: [],
    ...opts.gateway,
    config: { ...opts.gateway?.config, server: { port, ...opts.gateway?.config?.server } },
    oidc: {
      issuer: provider.issuer,
      clientId: provider.clientId,
      clientSecret: provider.clientSecret,
      redirectUrl: callbackUrl,
      scopes: ['openid', 'profile', 'email', 'groups'],
      allowHttpIssuer: true,
      ...opts.oidc
    },
    access: [{ group: 'influx-readers', token: READERS_TOKEN }]
  })
  const loginUrl = (returnTo?: string): string =>
    `${gw.url}/gateway/oidc/login${returnTo === undefined ? '' : `?returnTo=${encodeURIComponent(returnTo)}`}`
  return Object.assign(gw, { provider, callbackUrl, loginUrl })
}
