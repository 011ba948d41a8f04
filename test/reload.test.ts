/**
 * Which keys need a restart is declared once, next to each key in the schema: the reload warns by name
 * for exactly those that changed and leaves them unapplied, and the generated reference says so for
 * exactly the same keys.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { configReference, restartOnlyKeys } from '../src/config/config-reference.ts'
import type { Config } from '../src/config/schema.ts'
import { createReloader } from '../src/reload.ts'
import { startGateway } from './helpers/gateway.ts'

const RECORD_KEY = 'k'.repeat(32)

/** `config` with every restart-only key given another valid value. */
function everyRestartKeyChanged (config: Config): Config {
  return {
    ...config,
    server: { ...config.server, host: '127.0.0.2', port: config.server.port + 1, tls: { cert: '/nowhere.pem', key: '/nowhere.key' } },
    session: {
      ...config.session,
      store: 'redis',
      redis: { ...(config.session.redis ?? {}), url: 'redis://127.0.0.1:1' } as NonNullable<Config['session']['redis']>,
      recordKey: RECORD_KEY,
      previousRecordKey: RECORD_KEY
    },
    limits: { ...config.limits, maxHeaderBytes: 2048, headersTimeout: 1234, keepAliveTimeout: 1234 },
    metrics: { ...config.metrics, listener: config.metrics.listener === 'main' ? 'separate' : 'main', port: 1, host: '127.0.0.3' },
    log: { ...config.log, format: config.log.format === 'json' ? 'pretty' : 'json' }
  }
}

test('a reload names every changed restart-only key, as the schema marks them, and applies none of them', async (t) => {
  const gw = await startGateway(t)
  const before = gw.deps.config
  const next = everyRestartKeyChanged(before)
  assert.equal(await createReloader({ deps: gw.deps, logger: gw.deps.logger, load: () => next }).reload('test'), true)
  const warned = await gw.waitForLog((l) => l.msg === 'these settings only take effect after a restart')
  assert.deepEqual([...(warned.settings as string[])].sort(), [...restartOnlyKeys()].sort())
  const res = await fetch(`${gw.url}/gateway/health`)
  assert.equal(res.status, 200, 'still listening where it started')
})

test('a reload that changes only live keys warns of no restart', async (t) => {
  const gw = await startGateway(t)
  const next = { ...gw.deps.config, session: { ...gw.deps.config.session, idleTimeout: 120_000 } }
  assert.equal(await createReloader({ deps: gw.deps, logger: gw.deps.logger, load: () => next }).reload('test'), true)
  await gw.waitForLog((l) => l.msg === 'config reloaded')
  assert.equal(gw.logs.some((l) => l.msg === 'these settings only take effect after a restart'), false)
  assert.equal(gw.deps.config.session.idleTimeout, 120_000, 'applied')
})

test('the reference says "Needs a restart." for exactly the restart-only keys', () => {
  for (const row of configReference()) {
    assert.equal(/needs a restart/i.test(row.description), false, `${row.key}: the schema's mark says it, not the text`)
  }
  assert.ok(restartOnlyKeys().includes('server.port') && restartOnlyKeys().includes('session.store'))
  assert.equal(restartOnlyKeys().includes('session.idleTimeout'), false)
})
