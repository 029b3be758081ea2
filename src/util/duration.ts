/**
 * Durations as manifests write them: a number with a unit (`ms`, `s`, `m`, `h`, `d`),
 * optionally compound (`1h30m`). The schema's `Duration` pattern accepts exactly these.
 * The one parser of durations for manifests, flags and environment variables alike.
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

/** Milliseconds in a duration string (`800ms`, `30s`, `1m`), or undefined when it is not one. */
export function parseDurationMs(text: string): number | undefined {
  const s = parseDuration(text);
  return s === undefined ? undefined : Math.round(s * 1000);
}

/**
 * Seconds from a duration as manifests, flags and APIs give it: `300s`, `5m`, `1h30m`,
 * `1d`, a bare number of seconds (`300`, also as text), or a protobuf Duration
 * `{seconds, nanos}`. NaN when it is none of these.
 */
export function durationSeconds(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object') {
    const d = v as { seconds?: string | number | { toString(): string }; nanos?: number };
    return Number(d.seconds ?? 0) + (d.nanos ?? 0) / 1e9;
  }
  if (typeof v !== 'string') return NaN;
  const s = v.trim();
  if (/^[0-9]+(\.[0-9]+)?$/.test(s)) return Number(s);
  return parseDuration(s) ?? NaN;
}

/** Canonical duration text in seconds, as the Google APIs print it: `300s`. */
export function formatDuration(seconds: number): string {
  return `${Math.round(seconds * 1000) / 1000}s`;
}

/** A duration in its canonical text (`5m` -> `300s`), for comparing declared and live values. */
export function normalizeDuration(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = durationSeconds(v);
  return Number.isFinite(n) ? formatDuration(n) : String(v);
}

/** A protobuf Duration object for the API. */
export function toProtoDuration(v: unknown): { seconds: number; nanos: number } {
  const secs = durationSeconds(v);
  const whole = Math.floor(secs);
  return { seconds: whole, nanos: Math.round((secs - whole) * 1e9) };
}

/** Duration for people: 300 → `5m`, 90 → `1m30s`, 5400 → `1h30m`. */
export function humanDuration(seconds: number): string {
  let s = Math.round(seconds);
  if (s <= 0) return '0s';
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  return parts.join('');
}
