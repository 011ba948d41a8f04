import { normaliseMetrics } from './metrics-text.ts'
import type { Normaliser } from './normaliser.ts'
import type { Answer } from './send-step.ts'
import type { Step } from './scenario.ts'

/** Response headers left out of a transcript: the connection's and the clock's, not the gateway's decision. */
const TRANSPORT_HEADERS = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'])

/** One gateway of a run as observed from outside: every stdout line, stderr, and the final metrics text. */
export interface ObservedGateway {
  name: string
  lines: string[]
  stderr: string
  metrics: string
}

/** A step and what it got, with the gateway's request id (the `X-Request-Id` it answered). */
export interface ObservedStep { step: Step, answer: Answer }

/**
 * The transcript of a run: each step's request, answer and the log lines of its request id, in stdout
 * order; then, per gateway, the lines of no request (start, background work, shutdown) and the metrics.
 */
export function formatTranscript (n: Normaliser, steps: ObservedStep[], gateways: ObservedGateway[]): string {
  const byReq = new Map<string, string[]>()
  const other = new Map<string, string[]>()
  for (const g of gateways) {
    other.set(g.name, [])
    for (const line of g.lines) {
      const reqId = reqIdOf(line)
      if (reqId === undefined) other.get(g.name)!.push(line)
      else byReq.set(reqId, [...byReq.get(reqId) ?? [], line])
    }
  }
  const out: string[] = []
  steps.forEach(({ step, answer }, i) => {
    out.push(`## ${i + 1}. ${step.name}`, `> ${step.method} ${step.path} (${step.gateway} gateway, from ${step.from ?? '127.0.0.1'})`)
    out.push(...answerLines(n, answer))
    const reqId = answer.headers['x-request-id']
    for (const line of typeof reqId === 'string' ? byReq.get(reqId) ?? [] : []) out.push(`log ${n.logLine(line)}`)
    out.push('')
  })
  for (const g of gateways) {
    out.push(`## ${g.name} gateway: lines of no request`, ...other.get(g.name)!.map((l) => `log ${n.logLine(l)}`), '')
    if (g.stderr !== '') out.push(`## ${g.name} gateway: stderr`, n.text(g.stderr.trimEnd()), '')
    out.push(`## ${g.name} gateway: metrics`, normaliseMetrics(n.text(g.metrics)), '')
  }
  return out.join('\n')
}

function answerLines (n: Normaliser, answer: Answer): string[] {
  const out = [`< ${answer.status}`]
  for (const name of Object.keys(answer.headers).sort()) {
    if (TRANSPORT_HEADERS.has(name)) continue
    for (const value of [answer.headers[name] ?? []].flat()) {
      const shown = name === 'x-request-id' ? n.ref('req', value) : name === 'set-cookie' ? n.setCookie(value) : n.text(value)
      out.push(`< ${name}: ${shown}`)
    }
  }
  if (answer.body !== '') out.push(...n.text(answer.body).split('\n').map((l) => `< | ${l}`))
  return out
}

function reqIdOf (line: string): string | undefined {
  try {
    const reqId = (JSON.parse(line) as { reqId?: unknown }).reqId
    return typeof reqId === 'string' ? reqId : undefined
  } catch {
    return undefined
  }
}
