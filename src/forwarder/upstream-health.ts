/** The verdict of an upstream health check. */
export type UpstreamHealth = { ok: true } | { ok: false, reason: string }

/**
 * Asks InfluxDB whether it is healthy: `GET /health` (InfluxDB 2) must answer 200; an InfluxDB 1.x,
 * which has no `/health` (404), is asked `GET /ping` (204) instead. Never throws.
 */
export async function checkUpstreamHealth (baseUrl: string, timeoutMs: number): Promise<UpstreamHealth> {
  try {
    const signal = AbortSignal.timeout(timeoutMs)
    const health = await fetch(new URL('health', withSlash(baseUrl)), { signal })
    await health.body?.cancel()
    if (health.ok) return { ok: true }
    if (health.status !== 404) return { ok: false, reason: `InfluxDB /health answered ${health.status}` }
    const ping = await fetch(new URL('ping', withSlash(baseUrl)), { signal })
    await ping.body?.cancel()
    return ping.ok ? { ok: true } : { ok: false, reason: `InfluxDB /ping answered ${ping.status}` }
  } catch (err) {
    const name = (err as Error).name
    const code = ((err as { cause?: { code?: string } }).cause?.code) ?? name
    return { ok: false, reason: name === 'TimeoutError' ? 'InfluxDB health check timed out' : `InfluxDB is unreachable (${code})` }
  }
}

function withSlash (url: string): string {
  return url.endsWith('/') ? url : `${url}/`
}
