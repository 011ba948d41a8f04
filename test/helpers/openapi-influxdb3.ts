/**
 * Checks requests and answers against InfluxDB 3's own OpenAPI contracts (Core and Enterprise v3.10.0), as kept
 * in the repository: `test/fixtures/influxdb3-openapi/{core,enterprise}.yaml`, trimmed from upstream's (see the
 * README there). Paths are full paths, as in those contracts (`/api/v3/query_sql`, `/ping`).
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs'
import { Ajv } from 'ajv'
import YAML from 'yaml'
import type { BodyValidator } from './openapi.ts'

/** InfluxDB 3's two builds, as `/ping`'s `x-influxdb-build` names them. */
export type Influx3Build = 'Core' | 'Enterprise'

/** One operation's view of a build's contract. */
export interface Influx3Contract {
  /** The parsed fixture. */
  doc: Json
  /** Whether the contract has `method path`. */
  has (path: string, method: string): boolean
  /** The statuses `method path` declares (`default` included when present). */
  statuses (path: string, method: string): string[]
  /** A validator of the JSON body the contract declares for `status`; undefined when it declares none. */
  response (path: string, method: string, status: number): BodyValidator | undefined
  /** The response headers the contract names for `status`, lower-cased. */
  responseHeaders (path: string, method: string, status: number): string[]
  /** A validator of the operation's JSON request body. @throws Error when it declares none */
  requestBody (path: string, method: string): BodyValidator
  /** The operation's query parameters (`$ref`s followed), with whether each is required. */
  queryParameters (path: string, method: string): Array<{ name: string, required: boolean }>
}

type Json = Record<string, unknown>

const FILES: Record<Influx3Build, URL> = {
  Core: new URL('../fixtures/influxdb3-openapi/core.yaml', import.meta.url),
  Enterprise: new URL('../fixtures/influxdb3-openapi/enterprise.yaml', import.meta.url)
}
const JSON_MEDIA_TYPE = 'application/json'
const loaded = new Map<Influx3Build, Influx3Contract>()

/** The contract of `build`, loaded once per test process. */
export function influx3Contract (build: Influx3Build): Influx3Contract {
  let contract = loaded.get(build)
  if (contract === undefined) {
    contract = load(build)
    loaded.set(build, contract)
  }
  return contract
}

function escape (segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1')
}

function load (build: Influx3Build): Influx3Contract {
  const doc = YAML.parse(readFileSync(FILES[build], 'utf8')) as Json
  const id = `https://influx-gateway.test/influxdb3-${build.toLowerCase()}.yaml`
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, validateSchema: false, logger: false })
  ajv.addSchema({ ...doc, $id: id })
  const validators = new Map<string, BodyValidator>()
  const compile = (pointer: string): BodyValidator => {
    let v = validators.get(pointer)
    if (v === undefined) {
      const validate = ajv.compile({ $ref: `${id}#${pointer}` })
      v = (body) => validate(body) ? { valid: true, errors: '' } : { valid: false, errors: ajv.errorsText(validate.errors) }
      validators.set(pointer, v)
    }
    return v
  }
  /** Follows a local `$ref` chain to the node and its JSON pointer. */
  const deref = (node: Json, pointer: string): { node: Json, pointer: string } => {
    while (typeof node.$ref === 'string') {
      pointer = node.$ref.slice(1)
      node = pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
        .reduce<unknown>((at, key) => (at as Json)[key], doc) as Json
    }
    return { node, pointer }
  }
  const operation = (path: string, method: string): { op: Json, pointer: string } => {
    const op = ((doc.paths as Json)[path] as Json | undefined)?.[method.toLowerCase()] as Json | undefined
    if (op === undefined) throw new Error(`the ${build} contract has no ${method.toUpperCase()} ${path}`)
    return { op, pointer: `/paths/${escape(path)}/${method.toLowerCase()}` }
  }
  const responseOf = (path: string, method: string, status: number): { node: Json, pointer: string } | undefined => {
    const { op, pointer } = operation(path, method)
    const responses = op.responses as Json
    const key = String(status) in responses ? String(status) : 'default' in responses ? 'default' : undefined
    return key === undefined ? undefined : deref(responses[key] as Json, `${pointer}/responses/${escape(key)}`)
  }
  return {
    doc,
    has: (path, method) => ((doc.paths as Json)[path] as Json | undefined)?.[method.toLowerCase()] !== undefined,
    statuses: (path, method) => Object.keys(operation(path, method).op.responses as Json),
    response (path, method, status) {
      const found = responseOf(path, method, status)
      const media = (found?.node.content as Json | undefined)?.[JSON_MEDIA_TYPE] as Json | undefined
      if (found === undefined || media?.schema === undefined) return undefined
      return compile(`${found.pointer}/content/${escape(JSON_MEDIA_TYPE)}/schema`)
    },
    responseHeaders: (path, method, status) => Object.keys((responseOf(path, method, status)?.node.headers ?? {}) as Json).map((h) => h.toLowerCase()),
    requestBody (path, method) {
      const { op, pointer } = operation(path, method)
      if (op.requestBody === undefined) throw new Error(`${method.toUpperCase()} ${path} takes no request body`)
      const body = deref(op.requestBody as Json, `${pointer}/requestBody`)
      if ((body.node.content as Json | undefined)?.[JSON_MEDIA_TYPE] === undefined) throw new Error(`${method.toUpperCase()} ${path} takes no JSON body`)
      return compile(`${body.pointer}/content/${escape(JSON_MEDIA_TYPE)}/schema`)
    },
    queryParameters (path, method) {
      const { op, pointer } = operation(path, method)
      return ((op.parameters ?? []) as Json[]).map((p, i) => deref(p, `${pointer}/parameters/${i}`).node)
        .filter((p) => p.in === 'query').map((p) => ({ name: String(p.name), required: p.required === true }))
    }
  }
}
