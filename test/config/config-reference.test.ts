import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { configReference, renderConfigReference } from '../../src/config/config-reference.ts'
import { readReferenceBlock } from '../../src/config/reference-block.ts'
import { configSchema } from '../../src/config/schema.ts'

test('docs/configuration.md is the reference generated from the schema (npm run docs:config)', () => {
  const readme = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8')
  assert.equal(readReferenceBlock(readme), renderConfigReference())
})

test('the reference lists every key with the default the schema applies', () => {
  const rows = new Map(configReference().map((r) => [r.key, r]))
  const defaults = configSchema.parse({})
  for (const [section, values] of Object.entries(defaults)) {
    if (Array.isArray(values)) continue
    for (const key of Object.keys(values)) assert.ok(rows.has(`${section}.${key}`), `${section}.${key} documented`)
  }
  assert.equal(rows.get('session.idleTimeout')?.default, '10m')
  assert.equal(rows.get('upstream.timeout')?.type, 'duration ≥ 100ms')
  assert.equal(rows.get('server.shutdownTimeout')?.type, 'duration')
  assert.equal(rows.get('users[].passwordHash')?.default, 'required')
  assert.ok([...rows.values()].every((r) => r.description !== ''), 'every key is described')
})

test('every key of the committed config/gateway.yaml is a documented key', () => {
  const keys = new Set(configReference().map((r) => r.key))
  const yaml = readFileSync(new URL('../../config/gateway.yaml', import.meta.url), 'utf8')
  let section = ''
  for (const line of yaml.split('\n')) {
    const top = /^([a-zA-Z]+):/.exec(line)
    if (top?.[1] !== undefined) { section = top[1]; assert.ok(keys.has(section), section); continue }
    const nested = /^ {2}#? ?([a-zA-Z]+): /.exec(line)
    if (nested?.[1] !== undefined && section !== 'users') assert.ok(keys.has(`${section}.${nested[1]}`), `${section}.${nested[1]}`)
  }
})
