/** Kubernetes-style resource quantities as Cloud Run accepts them (`1`, `1000m`, `0.5`; `512Mi`, `2Gi`, `1G`). */

/** vCPUs of a cpu quantity, or NaN when malformed. */
export function parseCpu(q: string | undefined): number {
  if (q === undefined) return NaN;
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(q.trim());
  if (!m) return NaN;
  return m[2] ? Number(m[1]) / 1000 : Number(m[1]);
}

const MEMORY_UNITS: Record<string, number> = {
  '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40,
};

/** Bytes of a memory quantity, or NaN when malformed. */
export function parseMemory(q: string | undefined): number {
  if (q === undefined) return NaN;
  const m = /^(\d+(?:\.\d+)?)([kKMGT]i?|)$/.exec(q.trim());
  if (!m || MEMORY_UNITS[m[2]] === undefined) return NaN;
  return Number(m[1]) * MEMORY_UNITS[m[2]];
}

export const GiB = 2 ** 30;
