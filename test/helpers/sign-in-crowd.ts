import assert from 'node:assert/strict'
import { basic } from './gateway.ts'

/** A user of {@link crowd}. */
export interface CrowdUser { name: string, password: string, token: string }

/** `count` users with their own passwords (each its own token). */
export function crowd (count: number): CrowdUser[] {
  return Array.from({ length: count }, (_, i) => ({ name: `user${i}`, password: `password of user ${i}`, token: `token-${i}` }))
}

/**
 * Everyone in `users` signs in at once from one address through the gateway at `url`; those refused
 * retry together, round after round, until all are in (a refusal in every round fails). Resolves to every
 * answer that was not a 204, bodies unread.
 */
export async function signInTogether (url: string, users: Array<{ name: string, password: string }>): Promise<Response[]> {
  const refused: Response[] = []
  let waiting = users
  for (let round = 0; waiting.length > 0; round++) {
    assert.ok(round < users.length, `still refused after ${round} rounds: ${waiting.length}`)
    const answers = await Promise.all(waiting.map(async (u) => ({
      u, res: await fetch(`${url}/api/v2/signin`, { method: 'POST', headers: { authorization: basic(u.name, u.password) } })
    })))
    for (const { res } of answers) if (res.status !== 204) refused.push(res)
    waiting = answers.filter(({ res }) => res.status !== 204).map(({ u }) => u)
  }
  return refused
}
