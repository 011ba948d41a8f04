/** What config tests share: a file reader that finds nothing, and every problem the real loader reports. */
import assert from 'node:assert/strict'
import { ConfigError, parseConfig } from '../../src/config/load.ts'

/** A `readFile` for `parseConfig` that finds no file (ENOENT): a test never reads the disk by accident. */
export function noFiles (path: string): string {
  throw Object.assign(new Error(path), { code: 'ENOENT' })
}

/** Every problem the real loader reports for `yaml` (each with its YAML path); fails the test when it loads. */
export function configProblems (yaml: string, env: Record<string, string> = {}, readFile: (path: string) => string = noFiles): string[] {
  try {
    parseConfig(yaml, { env, readFile })
  } catch (err) {
    assert.ok(err instanceof ConfigError)
    return err.problems
  }
  assert.fail('expected a ConfigError')
}
