import { Client } from 'ldapts'
import { errors, GatewayError } from '../errors.ts'

/** How to reach the directory: the `ldap:` section's connection part, the CA file's content read. */
export interface LdapConnectionSettings {
  url: string
  startTLS?: boolean
  /** PEM CA certificates; undefined: the system CAs. */
  ca?: Buffer
  bindDN: string
  bindPassword: string
  /** Longest the whole operation may take, ms. */
  timeoutMs: number
}

/** A connection bound as the service account. */
export interface LdapConnection {
  client: Client
  /** Binds as the service account again (after a user bind on the same connection). */
  bindService (): Promise<void>
}

/**
 * Runs `work` on a fresh connection bound as the service account, then closes it. Everything (connect,
 * TLS, binds, searches) shares one deadline of `timeoutMs`; any failure of the directory becomes 503
 * `directoryUnavailable` (a GatewayError thrown by `work` passes as is).
 * SECURITY: TLS verifies the directory's certificate against `ca` and the URL's host, StartTLS included
 * (ldapts would check it against `localhost`); no bind is sent before the upgrade.
 */
export async function withLdapConnection<T> (settings: LdapConnectionSettings, work: (conn: LdapConnection) => Promise<T>): Promise<T> {
  const { hostname } = new URL(settings.url)
  const host = hostname.replace(/^\[(.*)\]$/, '$1')
  const tls = { ...(settings.ca === undefined ? {} : { ca: settings.ca }), host }
  const client = new Client({
    url: settings.url,
    timeout: settings.timeoutMs,
    connectTimeout: settings.timeoutMs,
    ...(settings.url.startsWith('ldaps:') ? { tlsOptions: tls } : {})
  })
  const bindService = (): Promise<void> => client.bind(settings.bindDN, settings.bindPassword)
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${settings.timeoutMs} ms`)), settings.timeoutMs)
  })
  const run = async (): Promise<T> => {
    if (settings.startTLS === true) await client.startTLS(tls)
    await bindService()
    return await work({ client, bindService })
  }
  try {
    return await Promise.race([run(), deadline])
  } catch (err) {
    throw err instanceof GatewayError ? err : errors.directoryUnavailable(err)
  } finally {
    clearTimeout(timer)
    // Destroys the socket even when the directory hangs; nothing waits for its answer.
    client.unbind().catch(() => {})
  }
}
