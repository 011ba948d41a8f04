import type { Identity } from '../auth/identity.ts'
import type { MintSpec } from '../config/influx-permissions.ts'

/**
 * A token InfluxDB minted for a session: how the gateway names it there (InfluxDB 2: the authorization's
 * id; InfluxDB 3: the token's name, which carries the gateway's marker) and the token itself (a secret).
 */
export interface MintedToken { authId: string, token: string }

/**
 * A token as the orphan sweep sees it: its id (as in {@link MintedToken}), the text that carries the
 * gateway's marker (InfluxDB 2: the description; InfluxDB 3: the name), and when it was made (ISO time).
 */
export interface ListedToken { id: string, label: string, createdAt: string | undefined }

/**
 * What the one minter (src/mint/token-minter.ts) asks of an InfluxDB major, with the operator token: the
 * minter keeps the sessions, the revoker, the sweep, audit and metrics; a backend speaks its InfluxDB's API.
 */
export interface MintBackend {
  /** Mints one session's token, its label naming the session's `ref`. @throws InfluxAdminError */
  mint (identity: Identity, spec: MintSpec, ref: string): Promise<MintedToken>
  /**
   * Deletes the token `authId` when it carries this gateway's marker; resolves false when it is not one to
   * delete (left alone), true when deleted or already gone. @throws InfluxAdminError when InfluxDB failed
   */
  remove (authId: string): Promise<boolean>
  /** Every token the operator token can see, labelled. */
  list (): Promise<ListedToken[]>
  /** Deletes one listed token, whatever its label (the sweep's own choice). */
  delete (id: string): Promise<void>
}
