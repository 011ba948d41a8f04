import http from 'node:http'
import { writeBytes } from './write-bytes.ts'

/** One timed transfer. */
export interface TransferResult {
  status: number
  /** Body bytes received (download) or sent (upload). */
  bytes: number
  seconds: number
  /** Upload only: what the upstream says it read (`x-received-bytes`). */
  received?: number
}

/** Options for {@link download} and {@link upload}. */
export interface TransferOptions {
  url: string
  agent: http.Agent
  headers?: Record<string, string>
}

/** GETs `url` and counts the body bytes without keeping them; timed from the request to the body's end. */
export function download (opts: TransferOptions): Promise<TransferResult> {
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const req = http.get(opts.url, { agent: opts.agent, headers: opts.headers }, (res) => {
      let bytes = 0
      res.on('data', (chunk: Buffer) => { bytes += chunk.length })
      res.on('error', reject)
      res.once('end', () => resolve({ status: res.statusCode ?? 0, bytes, seconds: (performance.now() - start) / 1000 }))
    })
    req.on('error', reject)
  })
}

/**
 * POSTs `bytes` of line protocol, generated in 64 KiB chunks as the socket drains (never held in
 * memory); timed from the request to the end of the response.
 */
export function upload (opts: TransferOptions & { bytes: number }): Promise<TransferResult> {
  const chunk = Buffer.alloc(64 * 1024, 'cpu,host=bench usage_idle=99.5 1700000000000000000\n')
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const headers = { ...opts.headers, 'content-type': 'text/plain; charset=utf-8', 'content-length': String(opts.bytes) }
    const req = http.request(opts.url, { method: 'POST', agent: opts.agent, headers }, (res) => {
      res.resume()
      res.on('error', reject)
      res.once('end', () => resolve({
        status: res.statusCode ?? 0,
        bytes: opts.bytes,
        received: Number(res.headers['x-received-bytes']),
        seconds: (performance.now() - start) / 1000
      }))
    })
    req.on('error', reject)
    writeBytes(req, chunk, opts.bytes)
  })
}
