import { startNginx } from '../../test/helpers/ingress.ts'
import { docConfig, onPorts } from '../../test/helpers/ingress-config.ts'
import { freePort } from '../../test/helpers/redis-server.ts'
import { cpuMicros } from '../lib/proc.ts'
import { fmt, median, spread } from '../lib/stats.ts'
import { signIn, startGateway, type Target } from '../lib/targets.ts'
import { wrk } from '../lib/wrk.ts'

/** Options for {@link forwardAuth}. */
export interface ForwardAuthOptions {
  /** The upstream double the other sections load too. */
  upstream: Target
  dir: string
  rounds: number
  durationS: number
  connections: number
}

interface Run { rps: number, p50: number, p99: number, gatewayUs: number, nginxUs: number }

const PATH = '/api/v2/buckets?orgID=0000000000000002'

/**
 * The same signed-in request two ways, same machine, same run, interleaved rounds: (f) through the gateway as
 * the proxy, and (g) through nginx with `auth_request` to the gateway (the config docs/forward-auth.md shows,
 * as the tests run it), nginx forwarding to the upstream itself. CPU per request is the gateway's and, for
 * (g), nginx's (master and worker) too.
 */
export async function forwardAuth (opts: ForwardAuthOptions): Promise<string> {
  const gateway = await startGateway({
    dir: opts.dir, name: 'gateway-forward-auth', upstreamUrl: opts.upstream.url, extra: 'forwardAuth: { trustedProxies: [127.0.0.1/32] }'
  })
  const ports = { ingress: await freePort(), gateway: port(gateway.url), influx: port(opts.upstream.url), app: 9 }
  const nginx = await startNginx('nginx', onPorts(docConfig('nginx'), ports), ports.ingress)
  try {
    const cookie = await signIn(gateway.url)
    const setups = [
      { name: '(f) gateway as the proxy', url: gateway.url, nginxPid: undefined },
      { name: '(g) nginx auth_request → gateway, nginx forwards', url: nginx.url, nginxPid: nginx.pid }
    ]
    const once = async (s: typeof setups[number], durationS: number): Promise<Run> => {
      const before = { gateway: cpuMicros(gateway.pid), nginx: s.nginxPid === undefined ? 0 : cpuMicros(s.nginxPid) }
      const r = await wrk({ url: s.url + PATH, connections: opts.connections, durationS, headers: { cookie } })
      if (r.errors > 0) throw new Error(`${s.name}: ${r.errors} errors or non-2xx answers`)
      const nginxUs = s.nginxPid === undefined ? 0 : (cpuMicros(s.nginxPid) - before.nginx) / r.requests
      return { rps: r.rps, p50: r.p50, p99: r.p99, gatewayUs: (cpuMicros(gateway.pid) - before.gateway) / r.requests, nginxUs }
    }
    for (const s of setups) await once(s, 2) // warm-up: JIT, connection pools
    const runs = setups.map(() => [] as Run[])
    for (let round = 0; round < opts.rounds; round++) {
      for (const [i, s] of setups.entries()) runs[i]?.push(await once(s, opts.durationS))
    }
    return table(setups.map((s, i) => ({ name: s.name, runs: runs[i] as Run[] })), opts)
  } finally {
    await nginx.stop()
    await gateway.stop()
  }
}

function table (rows: Array<{ name: string, runs: Run[] }>, opts: ForwardAuthOptions): string {
  const med = (runs: Run[], key: keyof Run): number => median(runs.map((r) => r[key]))
  const lines = [
    `wrk -t1 -c${opts.connections} -d${opts.durationS}s with a session cookie, ${opts.rounds} interleaved rounds (median, min–max), \`GET ${PATH}\`.`,
    'CPU: user+system time over the run divided by the requests wrk counted (10 ms ticks); nginx\'s is its master and worker.',
    '',
    '| setup | req/s | p50 ms | p99 ms | CPU µs/req: gateway | nginx | total |',
    '|---|---|---|---|---|---|---|'
  ]
  for (const { name, runs } of rows) {
    const total = runs.map((r) => r.gatewayUs + r.nginxUs)
    lines.push(`| ${name} | ${fmt(med(runs, 'rps'))} (${spread(runs.map((r) => r.rps))}) | ${med(runs, 'p50').toFixed(2)} | ${med(runs, 'p99').toFixed(2)} | ` +
      `${med(runs, 'gatewayUs').toFixed(0)} | ${med(runs, 'nginxUs').toFixed(0)} | ${median(total).toFixed(0)} (${spread(total)}) |`)
  }
  return lines.join('\n')
}

function port (url: string): number {
  return Number(new URL(url).port)
}
