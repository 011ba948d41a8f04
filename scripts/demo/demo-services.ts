/**
 * What the demo gateway signs people in against and forwards to, all on 127.0.0.1: the InfluxDB 2 double
 * and the OpenID Connect provider the tests use, and the tests' OpenLDAP directory when Debian's `slapd`
 * is installed. Development helpers from test/helpers/: the gateway itself never imports them.
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import { startFakeInflux, type FakeInflux } from '../../test/helpers/fake-influx.ts'
import { startOidcProvider, type TestAccount, type TestOidcProvider } from '../../test/helpers/oidc-provider.ts'
import { startSlapd, type Slapd } from '../../test/helpers/slapd.ts'
import type { Cleanup } from './cleanup.ts'

/** The upstream tokens the double accepts: the file user's own, and one per access rule's group. */
export interface DemoTokens { frank: string, writers: string, readers: string, admins: string }

/** The accounts at the provider: any password at its login form. */
export const SSO_ACCOUNTS: Record<string, TestAccount & { note: string }> = {
  olivia: { groups: ['influx-readers'], note: 'influx-readers' },
  oscar: { groups: [], note: 'no InfluxDB group: a 403 page' }
}

/** The running services. */
export interface DemoServices {
  influx: FakeInflux
  provider: TestOidcProvider
  /** Undefined when slapd is not installed. */
  slapd: Slapd | undefined
  tokens: DemoTokens
}

/** Starts the services for a gateway that will listen on `gatewayUrl`; each is stopped by `cleanup`. */
export async function startDemoServices (cleanup: Cleanup, gatewayUrl: string, say: (line: string) => void): Promise<DemoServices> {
  const token = (): string => randomBytes(16).toString('hex')
  const tokens: DemoTokens = { frank: token(), writers: token(), readers: token(), admins: token() }
  const influx = await startFakeInflux({ tokens: Object.values(tokens) })
  cleanup.after(() => influx.close())
  const provider = await startOidcProvider(cleanup, {
    redirectUrl: `${gatewayUrl}/gateway/oidc/callback`,
    postLogoutRedirectUrl: `${gatewayUrl}/`,
    accounts: SSO_ACCOUNTS
  })
  const binary = findSlapd()
  if (binary === undefined) {
    say('slapd not found (Debian package slapd): the demo runs without directory sign-in.')
    return { influx, provider, slapd: undefined, tokens }
  }
  const slapd = await startSlapd(binary)
  cleanup.after(() => slapd.stop())
  return { influx, provider, slapd, tokens }
}

/** slapd on PATH, or in /usr/sbin (Debian's, often off a user's PATH); undefined when neither has it. */
function findSlapd (): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin'].filter((d) => d !== '')
  for (const dir of dirs) {
    try {
      accessSync(join(dir, 'slapd'), constants.X_OK)
      accessSync(join(dir, 'slapadd'), constants.X_OK)
      return join(dir, 'slapd')
    } catch {}
  }
  return undefined
}
