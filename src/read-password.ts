import type { Readable, Writable } from 'node:stream'

/** The shortest password hashed without `--force`, in characters (NIST SP 800-63B's minimum). */
export const MIN_PASSWORD_LENGTH = 8

/** Options for {@link readPassword}. */
export interface ReadPasswordOptions {
  /** Hash a password shorter than {@link MIN_PASSWORD_LENGTH} anyway (`hash-password --force`). */
  force?: boolean
}

/**
 * Reads one password: the first line of `input` when piped; on a terminal, a prompt on `prompt`
 * with echo off. Rejects an empty password, and one shorter than {@link MIN_PASSWORD_LENGTH}
 * characters unless `force` is set. The password is never part of an error message.
 */
export async function readPassword (
  input: Readable & { isTTY?: boolean, setRawMode?: (raw: boolean) => void }, prompt: Writable, opts: ReadPasswordOptions = {}
): Promise<string> {
  const password = input.isTTY === true && input.setRawMode !== undefined
    ? await readHidden(input as Readable & { setRawMode: (raw: boolean) => void }, prompt)
    : firstLine(await readAll(input))
  if (password === '') throw new Error('empty password: pipe or type the password to hash')
  const length = [...password].length
  // SECURITY: a short password falls to guessing, online through sign-in or offline from a leaked config.
  if (length < MIN_PASSWORD_LENGTH && opts.force !== true) {
    throw new Error(`password too short (${length} characters): use at least ${MIN_PASSWORD_LENGTH} (NIST SP 800-63B), ` +
      'since a short one is guessed quickly, through sign-in or from a leaked config; a passphrase of a few words is best. ' +
      'To hash it anyway, run hash-password --force')
  }
  return password
}

async function readAll (input: Readable): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of input) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function firstLine (text: string): string {
  return text.split(/\r?\n/)[0] ?? ''
}

function readHidden (input: Readable & { setRawMode: (raw: boolean) => void }, prompt: Writable): Promise<string> {
  prompt.write('Password: ')
  input.setRawMode(true)
  input.setEncoding('utf8')
  let typed = ''
  return new Promise((resolve, reject) => {
    const onData = (chars: string): void => {
      for (const ch of chars) {
        if (ch === '\r' || ch === '\n') return done()
        if (ch === '\u0003') return done(new Error('cancelled'))
        typed = ch === '\u007f' ? typed.slice(0, -1) : typed + ch
      }
    }
    const done = (err?: Error): void => {
      input.off('data', onData)
      input.setRawMode(false)
      input.pause()
      prompt.write('\n')
      if (err === undefined) resolve(typed)
      else reject(err)
    }
    input.on('data', onData)
  })
}
