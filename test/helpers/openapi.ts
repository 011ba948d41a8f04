import { readFileSync } from 'node:fs'
import { Ajv, type ValidateFunction } from 'ajv'
import YAML from 'yaml'

/**
 * Checks the gateway's responses against InfluxDB's own OpenAPI contract (OpenAPI 3.0; paths relative to
 * `/api/v2`), as kept in the repository: `test/fixtures/influxdb-openapi/oss.yml`, trimmed from upstream's
 * `contracts/oss.yml` (see the README there).
 */
const SPEC_URL = new URL('../fixtures/influxdb-openapi/oss.yml', import.meta.url)
/** The `$id` the whole document is registered under; every schema is compiled as a `$ref` into it. */
const SPEC_ID = 'https://influx-gateway.test/oss.yml'
const JSON_MEDIA_TYPE = 'application/json'

/** The outcome of validating one body: `errors` is ajv's text, empty when valid. */
export interface ValidationResult { valid: boolean, errors: string }

/** A validator for one response body (the parsed JSON). */
export type BodyValidator = (body: unknown) => ValidationResult

type Json = Record<string, unknown>

let loaded: { doc: Json, ajv: Ajv } | undefined
const cache = new Map<string, BodyValidator>()

/** The parsed contract (the fixture), loaded once. */
export function spec (): { doc: Json, ajv: Ajv } {
  if (loaded !== undefined) return loaded
  const doc = YAML.parse(readFileSync(SPEC_URL, 'utf8')) as Json
  // strict: false ignores OpenAPI-only keywords (example, xml, discriminator…); formats are not checked.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, validateSchema: false, logger: false })
  // The whole document under one $id: `#/components/…` refs anywhere in it resolve within it.
  ajv.addSchema({ ...doc, $id: SPEC_ID })
  loaded = { doc, ajv }
  return loaded
}

/** A JSON pointer segment (RFC 6901). */
function escape (segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1')
}

/** Follows a local `$ref` (`#/components/responses/X`) to the object and its JSON pointer. */
function deref (doc: Json, node: Json, pointer: string): { node: Json, pointer: string } {
  const seen = new Set<string>()
  while (typeof node.$ref === 'string') {
    const ref = node.$ref
    if (!ref.startsWith('#/') || seen.has(ref)) throw new Error(`unsupported or circular $ref ${ref} at ${pointer}`)
    seen.add(ref)
    pointer = ref.slice(1)
    const target = pointer.split('/').slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((at, key) => (at as Json | undefined)?.[key], doc)
    if (target === null || typeof target !== 'object') throw new Error(`$ref ${ref} does not resolve`)
    node = target as Json
  }
  return { node, pointer }
}

/** The response object the spec declares for a status (falling back to `default`), `$ref`s followed. */
function findResponse (path: string, method: string, status: number | 'default'): { node: Json, pointer: string, declared: string } {
  const { doc } = spec()
  const operation = ((doc.paths as Json | undefined)?.[path] as Json | undefined)?.[method.toLowerCase()] as Json | undefined
  if (operation === undefined) throw new Error(`oss.yml has no ${method.toUpperCase()} ${path}`)
  const responses = (operation.responses ?? {}) as Json
  const declared = String(status) in responses ? String(status) : 'default'
  const response = responses[declared] as Json | undefined
  if (response === undefined) throw new Error(`oss.yml: ${method.toUpperCase()} ${path} declares neither ${status} nor default`)
  const pointer = `/paths/${escape(path)}/${method.toLowerCase()}/responses/${escape(declared)}`
  return { ...deref(doc, response, pointer), declared }
}

function compile (cacheKey: string, pointer: string): BodyValidator {
  let validator = cache.get(cacheKey)
  if (validator === undefined) {
    const validate: ValidateFunction = spec().ajv.compile({ $ref: `${SPEC_ID}#${pointer}` })
    validator = (body) => {
      const valid = validate(body)
      return { valid, errors: valid ? '' : spec().ajv.errorsText(validate.errors) }
    }
    cache.set(cacheKey, validator)
  }
  return validator
}

/**
 * A validator for the JSON body of `method path` answering `status`, from the spec's
 * `paths[path][method].responses[status]` (else `default`) `application/json` schema.
 * `path` is relative to `/api/v2`, as in the spec (`/signin`, `/buckets`).
 * @throws Error when the spec declares no JSON body for that response.
 */
export function responseValidator (path: string, method: string, status: number | 'default'): BodyValidator {
  const { node, pointer, declared } = findResponse(path, method, status)
  const media = (node.content as Json | undefined)?.[JSON_MEDIA_TYPE] as Json | undefined
  if (media?.schema === undefined) {
    throw new Error(`oss.yml: ${method.toUpperCase()} ${path} ${declared} declares no ${JSON_MEDIA_TYPE} body`)
  }
  const schemaPointer = `${pointer}/content/${escape(JSON_MEDIA_TYPE)}/schema`
  return compile(`${method.toLowerCase()} ${path} ${declared}`, schemaPointer)
}

/** A validator for a named schema, `components.schemas[name]` (e.g. `Error`). */
export function schemaValidator (name: string): BodyValidator {
  const schemas = spec().doc.components as Json | undefined
  if ((schemas?.schemas as Json | undefined)?.[name] === undefined) throw new Error(`oss.yml has no components.schemas.${name}`)
  return compile(`schema ${name}`, `/components/schemas/${escape(name)}`)
}

/**
 * Whether the spec declares exactly this status for `method path` with no content (e.g. sign-in's
 * `204`). A status only covered by `default` is not "declared".
 */
export function expectedNoContent (path: string, method: string, status: number): boolean {
  const { node, declared } = findResponse(path, method, status)
  return declared === String(status) && (node.content === undefined || Object.keys(node.content as Json).length === 0)
}
