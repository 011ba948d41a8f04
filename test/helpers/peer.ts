/**
 * Requests from a chosen loopback address: on Linux all of 127.0.0.0/8 is the loopback, so binding the
 * client socket to 127.0.0.2 gives the gateway a second, distinct TCP peer next to 127.0.0.1 (tests that
 * tell a trusted proxy from anyone else). Traffic stays on the loopback.
 */
import type { TestContext } from 'node:test'
import { connect } from 'node:net'
import { Agent, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici'

/** The address tests give a trusted auth proxy. */
export const PROXY_ADDRESS = '127.0.0.2'
/** The address of everyone else (Node's default source address on the loopback). */
export const OTHER_ADDRESS = '127.0.0.1'

/** A fetch whose connections come from `localAddress`. */
export type PeerFetch = (url: string, init?: UndiciRequestInit) => ReturnType<typeof undiciFetch>

/** A fetch bound to `localAddress`, its connections closed in `t.after`. */
export function fetchFrom (t: TestContext, localAddress: string): PeerFetch {
  const dispatcher = new Agent({ localAddress })
  t.after(() => dispatcher.close())
  return async (url, init = {}) => await undiciFetch(url, { ...init, dispatcher })
}

/**
 * Sends `raw` bytes (a whole request with `Connection: close`, the socket left open for the answer) from `localAddress` to the gateway at `url` and
 * resolves with everything it answered: for requests no HTTP client would write (repeated header lines).
 */
export async function rawFrom (localAddress: string, url: string, raw: string): Promise<string> {
  const { hostname, port } = new URL(url)
  return await new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = connect({ host: hostname, port: Number(port), localAddress }, () => socket.write(raw))
    socket.on('data', (d: Buffer) => chunks.push(d))
    socket.on('error', reject)
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')))
  })
}
