import { z } from 'zod'

/**
 * InfluxDB 2's resource types: the `Resource.type` enum of its OpenAPI contract (a test keeps this list
 * equal to the contract's). Held here because the gateway never reads test fixtures at run time.
 */
export const INFLUX_RESOURCE_TYPES = [
  'authorizations', 'buckets', 'dashboards', 'orgs', 'tasks', 'telegrafs', 'users', 'variables', 'secrets', 'labels',
  'views', 'documents', 'notificationRules', 'notificationEndpoints', 'checks', 'dbrp', 'annotations', 'sources',
  'scrapers', 'notebooks', 'remotes', 'replications', 'instance', 'flows', 'functions', 'subscriptions'
] as const

/** One of {@link INFLUX_RESOURCE_TYPES}. */
export type InfluxResourceType = typeof INFLUX_RESOURCE_TYPES[number]

/**
 * One permission of a `mint` credential: `read:buckets` (every bucket of the org), `write:buckets/telemetry`
 * (one bucket, by name), `read:dashboards/0a1b2c3d4e5f6a7b` (one resource of another type, by its ID).
 */
export interface MintPermission {
  action: 'read' | 'write'
  type: InfluxResourceType
  /** A bucket's name, resolved to its ID when a token is minted. */
  bucket?: string
  /** A resource's InfluxDB ID (16 hex digits). */
  id?: string
}

const TYPES: ReadonlySet<string> = new Set(INFLUX_RESOURCE_TYPES)
const PERMISSION = /^(read|write):([A-Za-z]+)(?:\/(.+))?$/
const INFLUX_ID = /^[0-9a-f]{16}$/
const OWNER = 'with every permission of the token\'s user (the operator\'s when no InfluxDB user has the signed-in name), ' +
  'not with the minted ones'
const TOKENS = 'InfluxDB answers a list of authorizations with each one\'s token: the session could read the tokens of other ' +
  'sessions and the operator\'s'
/**
 * SECURITY: permissions a minted token must not carry, because they let the session act beyond the token
 * or beyond its session. InfluxDB runs a task (checks and notification rules are tasks) with every
 * permission of its owner, the user of the token that wrote it, not with the token's own. Reading
 * authorizations returns their tokens: every other session's and the operator's. A token that may create
 * authorizations makes ones that outlive the session; one that may write users sets any user's password
 * (the operator's user included), one that may write orgs makes any user an owner of the org; secrets are
 * other systems' credentials (Flux's `secrets.get` reads them).
 */
const REFUSED: Readonly<Record<string, { read?: string, write: string }>> = {
  tasks: { write: `InfluxDB runs a task ${OWNER}` },
  checks: { write: `InfluxDB runs a check (a task) ${OWNER}` },
  notificationRules: { write: `InfluxDB runs a notification rule (a task) ${OWNER}` },
  authorizations: { read: TOKENS, write: `${TOKENS}, and the tokens it could create would outlive the session` },
  secrets: {
    read: 'the org\'s secrets are credentials of other systems, which a Flux query reads with secrets.get',
    write: 'the org\'s secrets are credentials its tasks and notification endpoints rely on: the session could replace them'
  },
  users: { write: 'a token that may write users sets any InfluxDB user\'s password, the operator\'s user included' },
  orgs: { write: 'a token that may write the org adds owners to it, who hold every permission in it, and may delete it' }
}

const OWN_TOKEN = 'give whoever needs it a token credential of their own InfluxDB user'

/** Parses `action:type[/name-or-id]`; a string says what is wrong with it. */
export function parsePermission (text: string): MintPermission | string {
  const m = PERMISSION.exec(text)
  if (m === null) return 'write action:type or action:type/name, e.g. read:buckets or write:buckets/telemetry (action: read or write)'
  const [, action, type = '', target] = m
  if (!TYPES.has(type)) return `unknown InfluxDB resource type "${type}"; one of ${INFLUX_RESOURCE_TYPES.join(', ')}`
  const why = Object.hasOwn(REFUSED, type) ? REFUSED[type]?.[action as 'read' | 'write'] : undefined
  if (why !== undefined) return `${action}:${type} cannot be minted: ${why}; ${OWN_TOKEN}`
  const permission = { action: action as MintPermission['action'], type: type as InfluxResourceType }
  if (target === undefined) return permission
  if (type === 'buckets') return { ...permission, bucket: target }
  // SECURITY: InfluxDB matches a permission on a resource's ID, never its name: a name alone would grant the
  // whole type, so only buckets (whose names the gateway resolves) may be named.
  if (!INFLUX_ID.test(target)) return `only buckets are named; a ${type} resource is written by its 16-hex-digit ID`
  return { ...permission, id: target }
}

/**
 * The `mint` credential. InfluxDB 2: the org and the permissions of the token minted for each session.
 * InfluxDB 3: `mint: {}`, the token's databases being the rule's `databases:` (checked with the version in
 * src/config/influx3-schema.ts).
 */
export const mintCredential = z.object({
  org: z.string().min(1).optional().describe('InfluxDB 2: the organisation (name) the minted token belongs to. ' +
    'Leave out for InfluxDB 3 (`mint: {}`).'),
  permissions: z.array(z.string().superRefine((text, ctx) => {
    const parsed = parsePermission(text)
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed })
  }).meta({ type: 'permission' })).min(1).optional()
    .describe('InfluxDB 2: what the token may do: `action:type[/bucket name or resource ID]`, e.g. `read:buckets`, ' +
      '`write:buckets/telemetry`. Never `authorizations` or `secrets`, nor `write` on `tasks`, `checks`, `notificationRules`, ' +
      '`users` or `orgs`. Leave out for InfluxDB 3.')
}).strict().superRefine((mint, ctx) => {
  if (mint.org === undefined && mint.permissions !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['org'], message: 'required with permissions (InfluxDB 2)' })
  }
  if (mint.org !== undefined && mint.permissions === undefined) {
    ctx.addIssue({ code: 'custom', path: ['permissions'], message: 'required with org (InfluxDB 2)' })
  }
}, { when: () => true })

/** A validated `mint` credential as written: both keys (InfluxDB 2) or neither (`{}`, InfluxDB 3). */
export type MintConfig = z.infer<typeof mintCredential>

/** What an InfluxDB 2 session's token grants: the org and the permissions. */
export interface Influx2MintSpec { org: string, permissions: string[] }

/** What an InfluxDB 3 session's token is minted from: the rule's `databases:` (names or globs) and `admin:`. */
export interface Influx3MintSpec { databases: { read: string[], write: string[] }, admin: boolean }

/** What a session's token is minted for, per InfluxDB major; built once per configuration by the access rules. */
export type MintSpec = Influx2MintSpec | Influx3MintSpec

/** Whether a spec is InfluxDB 3's. */
export function isInflux3Spec (spec: MintSpec): spec is Influx3MintSpec {
  return 'databases' in spec
}
