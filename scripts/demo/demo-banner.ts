/** What `npm run demo` prints once everything listens: what to open, and who can sign in how. */
import { AUTH_PROXY_ADDRESS, type FileUser } from './demo-config.ts'
import type { DemoGateway } from './demo-gateway.ts'
import { SSO_ACCOUNTS, type DemoServices } from './demo-services.ts'

/** The line `npm run demo` ends its banner with; its test waits for it. */
export const READY_LINE = 'Ready. Ctrl-C stops everything.'

/** What the directory's people get, for the ones the banner names. */
const DIRECTORY_NOTES: Record<string, string> = {
  alice: 'influx-writers',
  bob: 'influx-readers',
  carol: 'no InfluxDB group: 403'
}

/** The banner's lines. */
export function demoBanner (gateway: DemoGateway, services: DemoServices, fileUser: FileUser): string[] {
  const gw = gateway.url
  const cookie = `-b cookies.txt ${gw}/api/v2/buckets`
  return [
    '',
    'influx-gateway demo: everything below runs on this machine only and stops with Ctrl-C.',
    `  gateway         ${gw}   (open it by this name: single sign-on returns to it)`,
    `  InfluxDB 2      ${services.influx.url}   (the test double: answers like InfluxDB, keeps no data)`,
    `  identity prov.  ${services.provider.issuer}   (oidc-provider; its development-only warnings above are expected)`,
    `  metrics         ${gateway.metricsUrl}/metrics`,
    '',
    'Sign in every way the gateway knows (passwords are made up for this run):',
    `  file user       ${fileUser.name} / ${fileUser.password}   (an InfluxDB token of their own)`,
    `    curl -i -c cookies.txt -X POST -u '${fileUser.name}:${fileUser.password}' ${gw}/api/v2/signin`,
    `    curl ${cookie}`,
    `    curl -b cookies.txt ${gw}/gateway/session`,
    ...directoryLines(services, gw),
    `  single sign-on  open ${gw}/ in a browser (the InfluxDB UI's pages go to the provider when signed out);`,
    `                  at the provider's form type ${ssoNames()}, any password`,
    `  auth proxy      requests from ${AUTH_PROXY_ADDRESS} name their user in headers, no sign-in:`,
    `    curl --interface ${AUTH_PROXY_ADDRESS} -H 'Remote-User: pat' -H 'Remote-Groups: influx-readers' ${gw}/api/v2/buckets`,
    '',
    READY_LINE,
    ''
  ]
}

function directoryLines (services: DemoServices, gw: string): string[] {
  const slapd = services.slapd
  if (slapd === undefined) return ['  directory       (not started: install Debian package slapd)']
  const people = Object.entries(DIRECTORY_NOTES).map(([uid, note]) => `${uid} / ${slapd.people[uid]?.password ?? '?'} (${note})`)
  return [
    `  directory       ${people.join(', ')}`,
    `    curl -i -c cookies.txt -X POST -u 'alice:${slapd.people.alice?.password ?? '?'}' ${gw}/api/v2/signin`
  ]
}

function ssoNames (): string {
  return Object.entries(SSO_ACCOUNTS).map(([name, account]) => `${name} (${account.note})`).join(' or ')
}
