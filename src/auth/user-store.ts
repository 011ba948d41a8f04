import type { ConfigUser } from '../config/schema.ts'

/** A configured user as the gateway sees it: name, state and upstream credential. */
export type User = ConfigUser & {
  /**
   * A short digest of the user's password hash, stored with each session: a session signed in under
   * another hash (the password was changed since) is no longer valid.
   */
  stamp: string
}

/** The result of checking a user name and password. */
export type VerifyResult =
  | { outcome: 'ok', user: User }
  | { outcome: 'disabled', user: User }
  | { outcome: 'invalid', userKnown: boolean }

/** Where users come from. Implementations must not reveal through timing whether a user exists. */
export interface UserStore {
  /** Checks a password; a wrong password and an unknown user take the same time. */
  verify (name: string, password: string): Promise<VerifyResult>
  /** The live entry for a user, looked up on every proxied request. */
  find (name: string): User | undefined
  /** How many users are configured. */
  size (): number
}
