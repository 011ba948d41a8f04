import { Agent, request } from 'undici'
import type { Step } from './scenario.ts'

/** What the gateway answered one step: status, headers (lowercase, `set-cookie` a list) and body text. */
export interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** One undici agent per TCP peer address, closed together. */
export interface Peers {
  agent (address: string): Agent
  close (): Promise<void>
}

/** Creates the agents a run sends from, by local address (all on the loopback). */
export function createPeers (): Peers {
  const agents = new Map<string, Agent>()
  return {
    agent (address) {
      let agent = agents.get(address)
      if (agent === undefined) agents.set(address, agent = new Agent({ localAddress: address }))
      return agent
    },
    close: async () => { await Promise.all([...agents.values()].map((a) => a.close())) }
  }
}

/**
 * Sends one step as given (undici `request`: no header of its own beyond `host`, no redirect followed, the
 * target as written) from its peer address, with the cookie a previous step kept; keeps the session
 * cookie this answer sets when the step asks to.
 */
export async function sendStep (base: string, step: Step, jar: Map<string, string>, peers: Peers, cookieName: string): Promise<Answer> {
  const headers: Record<string, string> = { ...step.headers }
  if (step.cookie !== undefined) headers.cookie = jar.get(step.cookie) ?? ''
  const res = await request(base + step.path, {
    method: step.method,
    headers,
    body: step.body,
    dispatcher: peers.agent(step.from ?? '127.0.0.1')
  })
  const body = await res.body.text()
  if (step.keepCookie !== undefined) {
    const cookies = [res.headers['set-cookie'] ?? []].flat()
    const session = cookies.map((c) => c.split(';', 1)[0] ?? '').find((c) => c.startsWith(`${cookieName}=`))
    if (session === undefined) throw new Error(`${step.name}: no ${cookieName} cookie set (status ${res.statusCode})`)
    jar.set(step.keepCookie, session)
  }
  return { status: res.statusCode, headers: res.headers, body }
}
