/**
 * Durations as manifests write them: a number with a unit (`ms`, `s`, `m`, `h`, `d`),
 * optionally compound (`1h30m`). The schema's `Duration` pattern accepts exactly these.
 */

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };
const WHOLE = /^(?:[0-9]+(?:\.[0-9]+)?(?:ms|s|m|h|d))+$/;
const PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)/g;

/** Seconds in a duration string, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (typeof text !== 'string' || !WHOLE.test(text)) return undefined;
  let total = 0;
  for (const [, num, unit] of text.matchAll(PART)) total += Number(num) * UNIT_SECONDS[unit];
  return Math.round(total * 1000) / 1000;
}
