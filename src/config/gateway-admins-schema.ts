import { z } from 'zod'
import { secret } from './schema-types.ts'

/** A name as users and groups are named elsewhere in the config: anything printable, bounded. */
const principal = z.string().min(1).max(256)

/** An administrator's API token: a secret long enough not to be guessed (as a record key). */
const apiToken = secret.refine((token) => Buffer.byteLength(token) >= 32, 'too short: at least 32 bytes (e.g. openssl rand -base64 32)')

/**
 * `gatewayAdmins:`: who may see and end other people's sessions (the sessions page and API). A different
 * word from an access rule's `admin:`, which is about InfluxDB 3's own administration routes.
 */
export const gatewayAdminsSchema = z.object({
  users: z.array(principal).max(1000).default([])
    .describe('File users (`users:`) who are gateway administrators, by name; directory, single sign-on and auth-proxy ' +
      'identities by `groups` (a name from another source is another person).'),
  groups: z.array(principal).max(1000).default([])
    .describe('Groups whose members are gateway administrators (a directory group, a file user\'s `groups:`, a provider\'s ' +
      'or proxy\'s groups), matched as access rules match them.'),
  apiTokens: z.array(apiToken).max(16).default([])
    .describe('Tokens that act as an administrator on `<gatewayPrefix>/api/sessions` (`Authorization: Bearer …`), each from ' +
      // eslint-disable-next-line no-template-curly-in-string -- the description shows the literal syntax
      '`${ENV}` or `{ file: PATH }`, at least 32 bytes; compared in constant time, never logged, never forwarded.')
}).strict()
