import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, isAbsolute, join, resolve } from 'node:path'

/** Warnings already printed, so each missing binary is reported once per suite and process. */
const warned = new Set<string>()

/** True when `file` is a regular file this process may execute. */
function isExecutableFile (file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return statSync(file).isFile()
  } catch {
    return false
  }
}

/** Resolves `name` as a path (when it contains a slash) or by searching `PATH`; `undefined` when not found. */
function findBinary (name: string): string | undefined {
  if (isAbsolute(name) || name.includes('/')) {
    return isExecutableFile(name) ? resolve(name) : undefined
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    const candidate = join(dir, name)
    if (isExecutableFile(candidate)) return candidate
  }
  return undefined
}

/** Prints `message` as a banner to stderr, once per process. */
function warnOnce (message: string): void {
  if (warned.has(message)) return
  warned.add(message)
  const bar = '!'.repeat(Math.min(message.length, 100))
  process.stderr.write(`\n${bar}\n${message}\n${bar}\n\n`)
}

/**
 * Looks a binary up (absolute path or on `PATH`).
 *
 * If it is missing: when `process.env.CI === 'true'` it throws an Error naming the binary and the Debian
 * package; otherwise it prints a loud warning to stderr once
 * (`SKIPPING <suite>: <binary> not found; install Debian package <pkg>`) and returns `undefined` so the
 * caller can skip only that suite.
 *
 * @example
 * ```ts
 * const influxd = requireBinary('influxd', 'influxdb', 'real InfluxDB 1.x')
 * test('…', { skip: influxd === undefined ? 'influxd not installed' : false }, async (t) => { … })
 * ```
 * @param name - binary name looked up on `PATH`, or a path to it
 * @param debianPackage - the Debian package that provides it
 * @param suite - the test suite that needs it, named in the warning
 * @returns the absolute path of the binary, or `undefined` when it is missing outside CI
 */
export function requireBinary (name: string, debianPackage: string, suite: string): string | undefined {
  const found = findBinary(name)
  if (found !== undefined) return found
  if (process.env.CI === 'true') {
    throw new Error(`${name} not found (needed by ${suite}); install Debian package ${debianPackage} (CI=true, not skipping)`)
  }
  warnOnce(`SKIPPING ${suite}: ${name} not found; install Debian package ${debianPackage}`)
  return undefined
}
