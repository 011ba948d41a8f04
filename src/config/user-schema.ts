import { z } from 'zod'
import { parsePasswordHash } from './password-hash.ts'
import { CREDENTIAL_KINDS, credentialFields } from './identity-schema.ts'
import { databaseScopeFields } from './influx3-schema.ts'
import { boolean } from './schema-types.ts'

const user = z.object({
  name: z.string().min(1).max(256).regex(/^[^:\s]+$/, 'must not contain `:` or whitespace (HTTP Basic splits on `:`)')
    .describe('Sign-in user name.'),
  passwordHash: z.string()
    .refine((h) => parsePasswordHash(h) !== undefined, 'not a supported hash; generate one with `npm run --silent hash-password`')
    .describe('scrypt hash from `npm run hash-password`: `$scrypt$ln=…,r=…,p=…$salt$hash`.'),
  disabled: boolean.default(false).describe('Refuse sign-in (403) and end existing sessions at their next request.'),
  ...credentialFields,
  ...databaseScopeFields,
  groups: z.array(z.string().min(1)).min(1).optional()
    .describe('Instead of a credential of their own: groups, and the first `access:` rule matching one of them gives the credential.')
}).strict()

/** One entry of `users:`: a file user and the upstream credential (or the groups) it signs in with. */
export const userSchema = user.superRefine((u, ctx) => {
  const kinds = ([...CREDENTIAL_KINDS, 'groups'] as const).filter((k) => u[k] !== undefined)
  if (kinds.length !== 1) {
    const found = kinds.length === 0 ? 'none' : kinds.join(', ')
    ctx.addIssue({ code: 'custom', message: `exactly one of token, basic, jwt, mint or groups is required (found ${found})` })
  }
  if (u.groups !== undefined && (u.databases !== undefined || u.admin !== undefined)) {
    const path = [u.databases !== undefined ? 'databases' : 'admin']
    ctx.addIssue({ code: 'custom', path, message: 'with groups:, the access rule decides this' })
  }
}, { when: () => true }) // also when other fields failed: every problem is reported at once
