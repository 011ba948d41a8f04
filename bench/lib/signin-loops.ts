import http from 'node:http'
import { basicAuth } from './targets.ts'

/** Options for {@link signinLoops}. */
export interface SigninLoopsOptions {
  /** The gateway's base URL. */
  url: string
  /** Sign-ins in flight at once: each loop sends the next as soon as the last is answered. */
  loops: number
  durationS: number
}

/** Sign-in answers by kind, and the seconds from the first request to the last answer. */
export interface SigninLoopsResult { ok: number, busy: number, other: number, seconds: number }

/**
 * Closed-loop sign-ins as the bench user (`POST /api/v2/signin` with Basic) over keep-alive
 * connections: 204 counts as ok, 503 as busy (the hash queue was full), anything else as other.
 */
export async function signinLoops (opts: SigninLoopsOptions): Promise<SigninLoopsResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.loops })
  const result: SigninLoopsResult = { ok: 0, busy: 0, other: 0, seconds: 0 }
  const start = performance.now()
  const deadline = start + opts.durationS * 1000
  const one = (): Promise<number> => new Promise((resolve) => {
    const req = http.request(`${opts.url}/api/v2/signin`, { method: 'POST', agent, headers: { authorization: basicAuth(), 'content-length': '0' } }, (res) => {
      res.resume()
      res.once('end', () => resolve(res.statusCode ?? 0))
    })
    req.once('error', () => resolve(0))
    req.end()
  })
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const status = await one()
      if (status === 204) result.ok++
      else if (status === 503) result.busy++
      else result.other++
      if (status !== 204) await new Promise((resolve) => setTimeout(resolve, 10)) // no hot spin on refusals
    }
  }
  await Promise.all(Array.from({ length: opts.loops }, loop))
  agent.destroy()
  result.seconds = (performance.now() - start) / 1000
  return result
}
