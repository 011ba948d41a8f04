const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g

/**
 * Parses a duration such as `500ms`, `90s`, `10m`, `8h` or `1h30m` into milliseconds.
 * Returns undefined for anything else (bare numbers included: a unit is always required).
 */
export function parseDuration (text: string): number | undefined {
  const input = text.trim()
  if (!WHOLE.test(input)) return undefined
  let total = 0
  for (const [, value, unit] of input.matchAll(PART)) total += Number(value) * (UNIT_MS[unit as string] as number)
  return Number.isFinite(total) ? Math.round(total) : undefined
}
