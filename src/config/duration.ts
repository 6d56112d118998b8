import { DURATION_PATTERN } from "./constants.ts";

const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;

/** Gateway API Duration (`1h30m`, `250ms`) to milliseconds. Throws on anything the schema would refuse. */
export function parseDuration(value: string): number {
  if (!DURATION_PATTERN.test(value)) throw new Error(`invalid duration "${value}"`);
  let total = 0;
  for (const [, amount, unit] of value.matchAll(/([0-9]+)(ms|h|m|s)/g)) {
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  return total;
}

/** `parseDuration` for optional fields: `fallback` when absent. */
export function durationMs(value: string | undefined, fallback: number): number {
  return value === undefined ? fallback : parseDuration(value);
}
