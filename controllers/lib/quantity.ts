/**
 * Kubernetes-style quantities and Google durations, compared by value:
 * `1` = `"1"` = `"1000m"`; `512Mi` = `0.5Gi`; `300s` = `5m`.
 */

/** CPU in cores from `1`, `"2"`, `"1000m"`, `"0.5"`. NaN when malformed. */
export function parseCpu(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return NaN;
  const s = v.trim();
  if (s.endsWith('m')) return Number(s.slice(0, -1)) / 1000;
  return Number(s);
}

/** Canonical CPU text: whole cores as `"2"`, fractions as `"0.5"`. */
export function formatCpu(cores: number): string {
  return String(Math.round(cores * 1000) / 1000);
}

export function normalizeCpu(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = parseCpu(v);
  return Number.isFinite(n) ? formatCpu(n) : String(v);
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const DECIMAL: Record<string, number> = { k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** Bytes from `512Mi`, `2Gi`, `1G`, `1073741824`. NaN when malformed. */
export function parseMemory(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return NaN;
  const m = /^([0-9]+(?:\.[0-9]+)?)([KMGT]i|[kKMGT])?$/.exec(v.trim());
  if (!m) return NaN;
  const unit = m[2] ? BINARY[m[2]] ?? DECIMAL[m[2]] : 1;
  return Math.round(Number(m[1]) * unit);
}

/** Canonical memory text: the largest binary unit that divides exactly (`1536Mi`, `2Gi`). */
export function formatMemory(bytes: number): string {
  for (const unit of ['Ti', 'Gi', 'Mi', 'Ki']) {
    const size = BINARY[unit];
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

export function normalizeMemory(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = parseMemory(v);
  return Number.isFinite(n) ? formatMemory(n) : String(v);
}

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds from `300s`, `5m`, `1h30m`, `1d`, `300`, or a protobuf Duration `{seconds, nanos}`. */
export function parseDuration(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object') {
    const d = v as { seconds?: string | number | { toString(): string }; nanos?: number };
    return Number(d.seconds ?? 0) + (d.nanos ?? 0) / 1e9;
  }
  if (typeof v !== 'string') return NaN;
  const s = v.trim();
  if (/^[0-9]+(\.[0-9]+)?$/.test(s)) return Number(s);
  let total = 0;
  let rest = s;
  const re = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)/;
  while (rest.length) {
    const m = re.exec(rest);
    if (!m) return NaN;
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    rest = rest.slice(m[0].length);
  }
  return total;
}

/** Canonical duration text in seconds, as the Google APIs print it: `300s`. */
export function formatDuration(seconds: number): string {
  return `${Math.round(seconds * 1000) / 1000}s`;
}

export function normalizeDuration(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = parseDuration(v);
  return Number.isFinite(n) ? formatDuration(n) : String(v);
}

/** A protobuf Duration object for the API. */
export function toProtoDuration(v: unknown): { seconds: number; nanos: number } {
  const secs = parseDuration(v);
  const whole = Math.floor(secs);
  return { seconds: whole, nanos: Math.round((secs - whole) * 1e9) };
}
