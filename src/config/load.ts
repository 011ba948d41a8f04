import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import YAML from 'yaml'
import { configSchema, type Config } from './schema.ts'
import { extractVariables, resolveValues, type ResolveContext, type ResolveProblem, type YamlPath } from './substitute.ts'

/** What parsing needs from the outside world. */
export type ParseContext = Omit<ResolveContext, 'variables'>

/** A configuration that cannot be used; `problems` lists every one, each prefixed with its YAML path. */
export class ConfigError extends Error {
  constructor (readonly problems: string[], readonly source = 'configuration') {
    super(`invalid ${source}:\n  ${problems.join('\n  ')}`)
    this.name = 'ConfigError'
  }
}

/**
 * Parses and validates configuration text. Pure apart from `ctx.readFile` (secret files).
 * @throws ConfigError listing every problem with its YAML path, e.g. `users.1.passwordHash: required`.
 */
export function parseConfig (yamlText: string, ctx: ParseContext, source?: string): Config {
  const { text, variables } = extractVariables(yamlText, randomBytes(6).toString('hex'))
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true })
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => `yaml: ${e.message.split('\n')[0] ?? e.code}`), source)
  }
  const problems: ResolveProblem[] = []
  const resolved = resolveValues(doc.toJS() ?? {}, { ...ctx, variables }, problems)
  const result = configSchema.safeParse(resolved)
  const messages = problems.map((p) => `${formatPath(p.path)}: ${p.message}`)
  // A value that failed to resolve also fails validation; report it once, with the resolving problem.
  const reported = new Set(problems.map((p) => formatPath(p.path).replace(/\.file$/, '')))
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (!reported.has(formatPath(issue.path as YamlPath))) messages.push(...formatIssue(issue.path as YamlPath, issue))
    }
  }
  if (result.success) messages.push(...unreadableFiles(result.data, ctx))
  if (messages.length > 0 || !result.success) throw new ConfigError(messages, source)
  return result.data
}

/** Files the config names (TLS, the directory's CA) must be readable now, not at the first handshake. */
function unreadableFiles (config: Config, ctx: ParseContext): string[] {
  const tls = config.server.tls
  const files: Array<[string, string]> = [
    ...(tls === undefined ? [] : [['server.tls.cert', tls.cert], ['server.tls.key', tls.key]] as Array<[string, string]>),
    ...(config.ldap?.caFile === undefined ? [] : [['ldap.caFile', config.ldap.caFile]] as Array<[string, string]>)
  ]
  return files.flatMap(([path, file]) => {
    try {
      ctx.readFile(file)
      return []
    } catch (err) {
      return [`${path}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`]
    }
  })
}

/** Reads and parses a configuration file with the process environment. */
export function loadConfig (file: string, env: Record<string, string | undefined>): Config {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError([`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`], file)
  }
  return parseConfig(text, { env, readFile: (path) => readFileSync(path, 'utf8') }, file)
}

function formatIssue (path: YamlPath, issue: { code: string, message: string, keys?: string[] }): string[] {
  if (issue.code === 'unrecognized_keys' && issue.keys !== undefined) {
    return issue.keys.map((key) => `${formatPath([...path, key])}: unknown key`)
  }
  const message = issue.message.endsWith('received undefined')
    ? 'required'
    : issue.message.replace(/^Invalid input: /, '')
  return [`${formatPath(path)}: ${message}`]
}

function formatPath (path: YamlPath): string {
  return path.length === 0 ? '(root)' : path.join('.')
}
