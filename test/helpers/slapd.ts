/**
 * Test harness that starts a real OpenLDAP (`slapd`, Debian package `slapd`) on 127.0.0.1 from a temp dir:
 * its own slapd.conf (core, cosine, inetorgperson, nis schemas; back_mdb), a random rootdn password, and
 * {@link DIRECTORY} loaded with `slapadd` before it starts. With `tls: true` it also gets a test CA and a
 * server certificate for 127.0.0.1 made with openssl, and listens for StartTLS and on an ldaps:// port.
 * Every password is random per start and registered with the log-secret ledger.
 *
 * @example
 * ```ts
 * const binary = requireBinary('slapd', 'slapd', 'real OpenLDAP')
 * test('…', { skip: binary === undefined ? 'slapd not installed' : false }, async (t) => {
 *   const slapd = await startSlapd(binary as string)
 *   t.after(() => slapd.stop())
 * })
 * ```
 * @packageDocumentation
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Client } from 'ldapts'
import { freePort } from './redis-server.ts'
import { recordSecret } from './secret-ledger.ts'
import { directoryLdif, DIRECTORY, SUFFIX, type DirectoryPerson } from './slapd-directory.ts'
import { serverStopper } from './stop-server.ts'

/** A running slapd started by {@link startSlapd}. */
export interface Slapd {
  /** `ldap://127.0.0.1:PORT` (plain; StartTLS too when started with `tls`). */
  url: string
  /** `ldaps://127.0.0.1:PORT`, when started with `tls`. */
  ldapsUrl?: string
  /** The test CA's PEM file, when started with `tls`. */
  caFile?: string
  suffix: string
  /** The service account the gateway binds as, and its (random) password. */
  service: { dn: string, password: string }
  /** Every person by uid, with their DN and random password. */
  people: Record<string, DirectoryPerson & { password: string }>
  /** Runs `fn` with a client bound as the rootdn (to change entries mid-test). */
  admin<T> (fn: (client: Client) => Promise<T>): Promise<T>
  /** SIGSTOP: the directory hangs (connections are accepted by the kernel, nothing answers). */
  pause (): void
  /** SIGCONT after pause. */
  resume (): void
  /** SIGTERM the slapd PID it started, wait for it, remove the temp dir. Safe to call twice. */
  stop (): Promise<void>
}

/** Options for {@link startSlapd}. */
export interface SlapdOptions {
  /** A test CA and server certificate: StartTLS on the plain port, and an ldaps:// port. */
  tls?: boolean
}

const START_TIMEOUT_MS = 15_000
const SCHEMAS = ['core', 'cosine', 'inetorgperson', 'nis']

/** Starts slapd; register `t.after(() => slapd.stop())` at once. */
export async function startSlapd (binary: string, opts: SlapdOptions = {}): Promise<Slapd> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-slapd-'))
  const rootDN = `cn=admin,${SUFFIX}`
  const rootPassword = randomBytes(18).toString('base64url')
  const service = { dn: `cn=gateway,ou=services,${SUFFIX}`, password: randomBytes(18).toString('base64url') }
  const people = Object.fromEntries(DIRECTORY.map((p) => [p.uid, { ...p, password: `${p.uid}-${randomBytes(12).toString('base64url')}` }]))
  for (const secret of [rootPassword, service.password, ...Object.values(people).map((p) => p.password)]) recordSecret(secret, 'password')
  const tls = opts.tls === true ? makeCertificates(dir) : undefined
  writeFileSync(join(dir, 'slapd.conf'), slapdConf(dir, rootDN, rootPassword, tls))
  mkdirSync(join(dir, 'db'))
  writeFileSync(join(dir, 'data.ldif'), directoryLdif(service, Object.values(people)))
  const load = spawnSync(join(dirname(binary), 'slapadd'), ['-q', '-f', join(dir, 'slapd.conf'), '-l', join(dir, 'data.ldif')], { encoding: 'utf8' })
  if (load.status !== 0) {
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`slapadd failed: ${load.stderr}`)
  }
  const port = await freePort()
  const ldapsPort = tls === undefined ? undefined : await freePort()
  const urls = [`ldap://127.0.0.1:${port}/`, ...(ldapsPort === undefined ? [] : [`ldaps://127.0.0.1:${ldapsPort}/`])]
  const child: ChildProcess = spawn(binary, ['-h', urls.join(' '), '-f', join(dir, 'slapd.conf'), '-d', '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  const append = (d: Buffer): void => { log = (log + String(d)).slice(-16_000) }
  child.stdout?.on('data', append)
  child.stderr?.on('data', append)
  const stop = serverStopper(child, dir)
  const url = `ldap://127.0.0.1:${port}`
  const admin = async <T>(fn: (client: Client) => Promise<T>): Promise<T> => {
    const client = new Client({ url, timeout: 5000, connectTimeout: 5000 })
    try {
      await client.bind(rootDN, rootPassword)
      return await fn(client)
    } finally {
      await client.unbind().catch(() => {})
    }
  }
  const deadline = Date.now() + START_TIMEOUT_MS
  while (Date.now() < deadline && child.exitCode === null) {
    if (await admin(async () => true).catch(() => false)) {
      return {
        url,
        ...(ldapsPort === undefined ? {} : { ldapsUrl: `ldaps://127.0.0.1:${ldapsPort}`, caFile: tls?.ca }),
        suffix: SUFFIX,
        service,
        people,
        admin,
        pause: () => child.kill('SIGSTOP'),
        resume: () => child.kill('SIGCONT'),
        stop
      }
    }
    await sleep(25)
  }
  await stop()
  throw new Error(`slapd did not start on ${urls.join(' ')}:\n${log}`)
}

interface TlsFiles { ca: string, cert: string, key: string }

function slapdConf (dir: string, rootDN: string, rootPassword: string, tls: TlsFiles | undefined): string {
  return [
    ...SCHEMAS.map((s) => `include /etc/ldap/schema/${s}.schema`),
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    `pidfile ${join(dir, 'slapd.pid')}`,
    `argsfile ${join(dir, 'slapd.args')}`,
    ...(tls === undefined ? [] : [`TLSCACertificateFile ${tls.ca}`, `TLSCertificateFile ${tls.cert}`, `TLSCertificateKeyFile ${tls.key}`]),
    // Like Active Directory, accept a bind with a DN and no password (an unauthenticated bind).
    'allow bind_anon_dn',
    'database mdb',
    'maxsize 10485760',
    `suffix "${SUFFIX}"`,
    `rootdn "${rootDN}"`,
    `rootpw ${rootPassword}`,
    `directory ${join(dir, 'db')}`,
    'access to attrs=userPassword by anonymous auth by self read by * none',
    'access to * by * read',
    ''
  ].join('\n')
}

/** A test CA and a server certificate for 127.0.0.1 / localhost signed by it. */
function makeCertificates (dir: string): TlsFiles {
  const f = (name: string): string => join(dir, name)
  const run = (...args: string[]): void => {
    const r = spawnSync('openssl', args, { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`openssl ${args[0] ?? ''} failed: ${r.stderr}`)
  }
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=influx-gateway test CA', '-keyout', f('ca.key'), '-out', f('ca.pem'))
  run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', f('server.key'), '-out', f('server.csr'))
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
  run('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('san.ext'), '-out', f('server.pem'))
  return { ca: f('ca.pem'), cert: f('server.pem'), key: f('server.key') }
}
