import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startFakeInflux, type FakeInflux } from '../../test/helpers/fake-influx.ts'
import { startGatewayProcess, isLine, parseLine, type GatewayProcess } from './gateway-process.ts'
import { TOKENS, writeGoldenConfigs } from './golden-config.ts'
import { createNormaliser } from './normaliser.ts'
import { SCENARIO, type Step } from './scenario.ts'
import { createPeers, sendStep } from './send-step.ts'
import { formatTranscript, type ObservedGateway, type ObservedStep } from './transcript.ts'

/** A recorded run: its normalised transcript, and the raw stdout lines and cookies (for the log-secret ledger). */
export interface GoldenRun {
  transcript: string
  rawLines: string[]
  /** The session cookies (`name=value`) the run was given. */
  cookies: string[]
}

/** A gateway of the side and where its `listening` line says it listens. */
interface Running { name: Step['gateway'], proc: GatewayProcess, url: string, metricsUrl: string }

/** InfluxDB's cookie name, which the gateway keeps by default. */
const COOKIE = 'influxdb-oss-session'

/**
 * Runs the golden scenario through the gateways of the tree at `root` (this one, or another commit's
 * worktree), each gateway a CLI process in front of a fresh InfluxDB double of this tree, driven only over
 * HTTP, through its config files and its stdout; returns the normalised transcript.
 */
export async function recordRun (root: string): Promise<GoldenRun> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-golden-'))
  const doubles: FakeInflux[] = []
  const procs: GatewayProcess[] = []
  try {
    const v2 = await startFakeInflux({ tokens: [TOKENS.alice, TOKENS.readers] })
    doubles.push(v2)
    const v1 = await startFakeInflux({ tokens: [TOKENS.bob] })
    doubles.push(v1)
    const configs = await writeGoldenConfigs(dir, { v2: v2.url, v1: v1.url, operatorToken: v2.tenancy.operatorToken })
    const start = async (name: Step['gateway']): Promise<Running> => {
      const proc = startGatewayProcess(root, configs[name], configs.env)
      procs.push(proc)
      await proc.waitForLines(isLine('listening'))
      const listening = parseLine(proc.lines.find(isLine('listening'))!)!
      return { name, proc, url: String(listening.url), metricsUrl: String(listening.metrics) }
    }
    const gateways = await Promise.all([start('v2'), start('v1')])
    const jar = new Map<string, string>()
    const steps = await runScenario(gateways, jar)
    const observed = await Promise.all(gateways.map((g) => finish(g, steps)))
    const transcript = formatTranscript(createNormaliser(dir), steps, observed)
    return { transcript, rawLines: observed.flatMap((g) => g.lines), cookies: [...jar.values()] }
  } finally {
    for (const proc of procs) await proc.stop()
    for (const d of doubles) await d.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Sends the steps one after the other, each once the previous one's answer (and background line) is in. */
async function runScenario (gateways: Running[], jar: Map<string, string>): Promise<ObservedStep[]> {
  const peers = createPeers()
  const steps: ObservedStep[] = []
  try {
    for (const step of SCENARIO) {
      const g = gateways.find((r) => r.name === step.gateway)!
      steps.push({ step, answer: await sendStep(g.url, step, jar, peers, COOKIE) })
      // A background line the step causes is waited for before the next step, so that it cannot race
      // the next step's lines to stdout: the transcript's order is then the same on every run.
      const msg = step.awaitsMsg
      if (msg !== undefined) await g.proc.waitForLines(isLine(msg), steps.filter((s) => s.step.awaitsMsg === msg).length)
    }
    return steps
  } finally {
    await peers.close()
  }
}

/**
 * Waits for the access line of each request the gateway answered (lines reach stdout in batches), scrapes
 * the metrics, then stops the gateway and keeps everything it printed, shutdown lines included.
 */
async function finish (g: Running, steps: ObservedStep[]): Promise<ObservedGateway> {
  for (const { step, answer } of steps) {
    const reqId = answer.headers['x-request-id']
    // An answer without its request id cannot be told by its line; the transcript shows the header missing.
    if (step.gateway === g.name && typeof reqId === 'string') await g.proc.waitForLines(isLine('request', { reqId }))
  }
  const metrics = await (await fetch(`${g.metricsUrl}/metrics`)).text()
  await g.proc.stop()
  return { name: g.name, lines: g.proc.lines, stderr: g.proc.stderr(), metrics }
}
