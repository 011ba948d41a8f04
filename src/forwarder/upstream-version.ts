/** The InfluxDB major version behind the gateway, as far as it is known. */
export type UpstreamMajor = 1 | 2 | 3

/** Options for {@link createUpstreamVersion}. */
export interface UpstreamVersionOptions {
  /** `upstream.version`: `auto` asks InfluxDB; `1`, `2` or `3` is taken as given. */
  configured: () => 'auto' | UpstreamMajor
  /** The upstream base URL, read on every probe (a reload may change it). */
  url: () => string
  /** `upstream.operatorToken`, sent when InfluxDB 3 asks `/ping` for a token; read on every probe. */
  token?: () => string | undefined
  /** How long a probe may take, ms. */
  timeoutMs: number
  /** While the version is unknown, a probe runs at most this often, ms. */
  retryMs: number
  now: () => number
  /** Called when a probe learns the version (the gateway builds its next runtime with it). */
  onLearned?: (major: UpstreamMajor) => void
}

/** What the gateway knows of the upstream's version. */
export interface UpstreamVersion {
  /** The major version now: configured, or learned from InfluxDB; undefined until a probe answered. */
  major (): UpstreamMajor | undefined
  /** What a probe learned of InfluxDB at `url`, without starting one; undefined when nothing yet. */
  learnedFor (url: string): UpstreamMajor | undefined
  /**
   * Asks InfluxDB now (start-up, a change of `upstream.url`), unless the version is configured; resolves
   * with what it learned. Never rejects.
   */
  probe (): Promise<UpstreamMajor | undefined>
}

/**
 * Learns whether InfluxDB 1.x, 2.x or 3 answers behind the gateway from `/ping`'s
 * `X-Influxdb-Version` (`1.6.7`, `v2.7.10`, `2.7.10`, `3.10.0`): 1.x and 2.x serve it without credentials;
 * InfluxDB 3 asks for a token, and is asked again with the operator token. Used to answer the v1 routes (`/query`, `/write`) in
 * the dialect their clients expect, and to apply InfluxDB 3's route classes and database rules. While
 * unknown, `major()` starts a probe in the background at most every `retryMs` and reports undefined.
 */
export function createUpstreamVersion (opts: UpstreamVersionOptions): UpstreamVersion {
  let learned: { url: string, major: UpstreamMajor } | undefined
  let lastProbe = -Infinity
  let running: Promise<UpstreamMajor | undefined> | undefined

  const probe = async (): Promise<UpstreamMajor | undefined> => {
    const configured = opts.configured()
    if (configured !== 'auto') return configured
    lastProbe = opts.now()
    const url = opts.url()
    running ??= askPing(url, opts.timeoutMs, opts.token?.())
      .then((major) => {
        if (major !== undefined) {
          learned = { url, major }
          opts.onLearned?.(major)
        }
        return major
      })
      .finally(() => { running = undefined })
    return running
  }

  const learnedFor = (url: string): UpstreamMajor | undefined => learned !== undefined && learned.url === url ? learned.major : undefined
  const known = (): UpstreamMajor | undefined => {
    const configured = opts.configured()
    return configured !== 'auto' ? configured : learnedFor(opts.url())
  }

  return {
    major () {
      const major = known()
      if (major === undefined && running === undefined && opts.now() - lastProbe >= opts.retryMs) probe().catch(() => {})
      return major
    },
    learnedFor,
    probe
  }
}

async function askPing (baseUrl: string, timeoutMs: number, token: string | undefined): Promise<UpstreamMajor | undefined> {
  const url = new URL('ping', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`)
  try {
    let res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
    if (res.status === 401 && token !== undefined) {
      await res.body?.cancel()
      // InfluxDB 3 asks `/ping` for a token by default: the operator token answers it, and is never forwarded.
      res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(timeoutMs) })
    }
    await res.body?.cancel()
    return majorOf(res.headers.get('x-influxdb-version'))
  } catch {
    return undefined
  }
}

/** `1.6.7` → 1, `v2.7.10` or `2.7.10` → 2, `3.10.0` → 3; anything else (a proxy, a missing header) is not a version. */
export function majorOf (version: string | null): UpstreamMajor | undefined {
  const m = /^v?(\d+)\./.exec(version ?? '')
  if (m?.[1] === '1') return 1
  if (m?.[1] === '2') return 2
  if (m?.[1] !== undefined && Number(m[1]) >= 3) return 3
  return undefined
}
