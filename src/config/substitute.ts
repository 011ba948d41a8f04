/** Where a problem was found in the YAML tree, e.g. `['users', 1, 'token']`. */
export type YamlPath = Array<string | number>

/** Problems found while resolving values; each carries its YAML path. */
export interface ResolveProblem { path: YamlPath, message: string }

/** What resolving needs from the outside world (injected so parsing stays testable). */
export interface ResolveContext {
  env: Record<string, string | undefined>
  /** The references {@link extractVariables} found. */
  variables: Variables
  /** Reads a secret file (e.g. a Docker secret). */
  readFile: (path: string) => string
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g

/** `${…}` references found in the text, keyed by the placeholder that stands for each in the YAML. */
export interface Variables { placeholder: RegExp, refs: Map<string, { name: string, fallback?: string }> }

/**
 * Replaces every `${VAR}` / `${VAR:-default}` in the YAML text with a placeholder that is a plain
 * scalar in any YAML context (`password: ${X}` inside a flow map `{ … }` is not valid YAML as
 * written). Values are put back into the parsed tree, so a value can never change the document.
 */
export function extractVariables (text: string, nonce: string): { text: string, variables: Variables } {
  const refs: Variables['refs'] = new Map()
  const replaced = text.replace(VARIABLE, (_m, name: string, fallback: string | undefined) => {
    const placeholder = `ENV${nonce}X${refs.size}X`
    refs.set(placeholder, fallback === undefined ? { name } : { name, fallback })
    return placeholder
  })
  return { text: replaced, variables: { placeholder: new RegExp(`ENV${nonce}X\\d+X`, 'g'), refs } }
}
/** Keys whose values are credentials: they must come from `${VAR}` or `{ file: PATH }`, never inline. */
const SECRET_KEYS = new Set([
  'token', 'password', 'jwtSharedSecret', 'bindPassword', 'clientSecret', 'operatorToken', 'recordKey', 'previousRecordKey',
  'sentinelPassword'
])

/**
 * Walks a parsed YAML tree and returns a copy where the placeholders of `${VAR}` and
 * `${VAR:-default}` are replaced from the environment and secret keys given as `{ file: PATH }` hold the file's content.
 * Substitution happens after YAML parsing, so a value can never change the document's structure.
 */
export function resolveValues (node: unknown, ctx: ResolveContext, problems: ResolveProblem[], path: YamlPath = []): unknown {
  const key = path[path.length - 1]
  const isRedisUrl = key === 'url' && path[path.length - 2] === 'redis'
  if (isRedisUrl) return resolveRedisUrl(node, ctx, problems, path)
  if (typeof key === 'string' && SECRET_KEYS.has(key)) return resolveSecret(node, ctx, problems, path)
  if (typeof key === 'number' && path[path.length - 2] === 'apiTokens') return resolveSecret(node, ctx, problems, path)
  if (typeof node === 'string') return substitute(node, ctx, problems, path)
  if (Array.isArray(node)) return node.map((item, i) => resolveValues(item, ctx, problems, [...path, i]))
  if (node !== null && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolveValues(v, ctx, problems, [...path, k])]))
  }
  return node
}

/**
 * `session.redis.url`: a URL without a password (`redis://redis:6379`) is plain config and may be written
 * inline; one carrying a password is a secret like any other.
 */
function resolveRedisUrl (node: unknown, ctx: ResolveContext, problems: ResolveProblem[], path: YamlPath): unknown {
  if (typeof node !== 'string' || node.match(ctx.variables.placeholder) !== null) return resolveSecret(node, ctx, problems, path)
  // SECURITY: the password of an inline URL would end up in backups, diffs and screenshots of the config.
  if (redisUrlHasPassword(node)) {
    // eslint-disable-next-line no-template-curly-in-string -- the message shows the literal syntax
    const message = 'this Redis URL carries a password: pass it as ${REDIS_URL} or { file: PATH }, never inline in the YAML'
    problems.push({ path, message })
  }
  return node
}

/**
 * Whether a Redis URL carries a password the way ioredis reads one: `user:pass@`, `:pass@`, or a
 * `password` query parameter. A URL that does not parse counts as one when it has an `@`.
 */
export function redisUrlHasPassword (url: string): boolean {
  try {
    const parsed = new URL(url)
    return parsed.password !== '' || parsed.searchParams.has('password')
  } catch {
    return url.includes('@')
  }
}

function resolveSecret (node: unknown, ctx: ResolveContext, problems: ResolveProblem[], path: YamlPath): unknown {
  if (typeof node === 'string') {
    // SECURITY: a credential written inline ends up in backups, diffs and screenshots of the config.
    if (node.match(ctx.variables.placeholder) === null) {
      // eslint-disable-next-line no-template-curly-in-string -- the message shows the literal syntax
      problems.push({ path, message: 'write secrets as ${ENV_VAR} or { file: PATH }, never inline in the YAML' })
      return node
    }
    return substitute(node, ctx, problems, path)
  }
  if (node !== null && typeof node === 'object' && !Array.isArray(node)) {
    const entries = Object.entries(node)
    const [first] = entries
    if (entries.length === 1 && first !== undefined && first[0] === 'file' && typeof first[1] === 'string') {
      const file = substitute(first[1], ctx, problems, [...path, 'file'])
      try {
        return ctx.readFile(file).replace(/\r?\n$/, '')
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'error'
        problems.push({ path: [...path, 'file'], message: `cannot read secret file ${file}: ${code}` })
        return ''
      }
    }
    // eslint-disable-next-line no-template-curly-in-string -- the message shows the literal syntax
    problems.push({ path, message: 'expected ${ENV_VAR} or { file: PATH }' })
  }
  return node
}

function substitute (text: string, ctx: ResolveContext, problems: ResolveProblem[], path: YamlPath): string {
  return text.replace(ctx.variables.placeholder, (placeholder) => {
    const ref = ctx.variables.refs.get(placeholder)
    if (ref === undefined) return placeholder
    const value = ctx.env[ref.name]
    if (value !== undefined && value !== '') return value
    if (ref.fallback !== undefined) return ref.fallback
    problems.push({ path, message: `environment variable ${ref.name} is not set` })
    return ''
  })
}
