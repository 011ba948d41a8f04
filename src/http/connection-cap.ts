import type http from 'node:http'
import https from 'node:https'
import type { Socket } from 'node:net'
import { errors } from '../errors.ts'
import { rawErrorResponse } from '../error-response.ts'

/** Settings of {@link capConnections}. */
export interface ConnectionCap {
  /** Client connections served at once; more are refused. */
  max: number
  /** Called for each refused connection (metrics). */
  onRefused?: () => void
}

/** How long a refused connection may stay open for its 503 to be read, ms. */
const LINGER_MS = 2_000
/** Refused connections answered at once; beyond that they are reset without an answer. */
const MAX_ANSWERING = 64

/**
 * SECURITY: bounds the file descriptors clients can hold. Each served connection may also hold one
 * upstream connection, so without a cap a few hundred slow anonymous clients exhaust `ulimit -n` and
 * every accept fails (EMFILE): sign-ins and health checks included. A connection over `max` is never
 * handed to the HTTP server: on plain HTTP it gets a raw `503 unavailable` with `Retry-After` and
 * `Connection: close` before anything is read, and is closed within {@link LINGER_MS}; over HTTPS
 * (an answer would need a TLS handshake first, which is what is being saved), or when
 * {@link MAX_ANSWERING} refusals are already being answered, it is reset at once.
 */
export function capConnections (server: http.Server | https.Server, cap: () => ConnectionCap): void {
  const serve = server.listeners('connection') as Array<(socket: Socket) => void>
  server.removeAllListeners('connection')
  const tls = server instanceof https.Server
  let open = 0
  let answering = 0
  server.on('connection', (socket: Socket) => {
    const { max, onRefused } = cap()
    if (open < max) {
      open++
      socket.once('close', () => { open-- })
      for (const listener of serve) listener.call(server, socket)
      return
    }
    onRefused?.()
    if (tls || answering >= MAX_ANSWERING) {
      socket.destroy()
      return
    }
    answering++
    const linger = setTimeout(() => socket.destroy(), LINGER_MS)
    socket.once('close', () => { answering--; clearTimeout(linger) })
    socket.on('error', () => {}) // a reset from a client we refused is no news
    // Read and drop what the client sends, so closing does not reset the answer away before it is read.
    socket.resume()
    socket.once('end', () => socket.destroy())
    socket.end(rawErrorResponse(errors.overCapacity()))
  })
}
