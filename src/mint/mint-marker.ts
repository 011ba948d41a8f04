/** The description prefix of every authorization this gateway mints (for `namespace`). */
export function mintMarker (namespace: string): string {
  return `influx-gateway (${namespace}) session `
}

/**
 * The description of the authorization `check-config --online` creates and deletes at once; one its delete
 * failed to remove is deleted by a gateway's sweep once it is {@link SWEEP_GRACE_MS} old.
 */
export const CHECK_CONFIG_DESCRIPTION = `${mintMarker('check-config')}check`

/** An authorization younger than this is never swept: a replica may be storing it, a check be running. */
export const SWEEP_GRACE_MS = 2 * 60_000
