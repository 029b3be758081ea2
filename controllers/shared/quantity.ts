/**
 * Kubernetes-style quantities, compared by value: `1` = `"1"` = `"1000m"`;
 * `512Mi` = `0.5Gi`. Durations (`300s` = `5m`) live in `src/util/duration.ts`.
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
