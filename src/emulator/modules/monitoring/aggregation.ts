/**
 * Aggregation of `ListTimeSeries`: per-series alignment into periods that end at the
 * interval's end time (`end`, `end - P`, `end - 2P`, ...), then optional cross-series
 * reduction over the `group_by_fields`. Periods without data produce no point.
 */
import { EmulatorError, Code } from '../../errors';
import type { StoredPoint, StoredSeries } from './time-series';

/** An aligned (or raw) series ready to render. */
export interface OutSeries {
  metric: { type: string; labels: Record<string, string> };
  resource: { type: string; labels: Record<string, string> };
  metricKind: string;
  valueType: string;
  unit?: string;
  /** Points by period end (ms); `s` is the period start. */
  points: StoredPoint[];
}

const invalid = (m: string): never => { throw new EmulatorError(Code.INVALID_ARGUMENT, m); };

const ALIGNERS: Record<string, { kinds: string[]; outKind: (k: string) => string; outType: (t: string) => string }> = {
  ALIGN_DELTA: { kinds: ['DELTA', 'CUMULATIVE'], outKind: () => 'DELTA', outType: (t) => t },
  ALIGN_RATE: { kinds: ['DELTA', 'CUMULATIVE'], outKind: () => 'GAUGE', outType: () => 'DOUBLE' },
  ALIGN_SUM: { kinds: ['GAUGE', 'DELTA'], outKind: (k) => k, outType: (t) => (t === 'BOOL' ? 'INT64' : t) },
  ALIGN_MEAN: { kinds: ['GAUGE', 'DELTA'], outKind: () => 'GAUGE', outType: () => 'DOUBLE' },
  ALIGN_MIN: { kinds: ['GAUGE', 'DELTA'], outKind: () => 'GAUGE', outType: (t) => t },
  ALIGN_MAX: { kinds: ['GAUGE', 'DELTA'], outKind: () => 'GAUGE', outType: (t) => t },
  ALIGN_COUNT: { kinds: ['GAUGE', 'DELTA'], outKind: () => 'GAUGE', outType: () => 'INT64' },
  ALIGN_NEXT_OLDER: { kinds: ['GAUGE'], outKind: () => 'GAUGE', outType: (t) => t },
};

const REDUCERS: Record<string, { outType: (t: string) => string; fn: (v: number[]) => number }> = {
  REDUCE_SUM: { outType: (t) => t, fn: (v) => v.reduce((a, b) => a + b, 0) },
  REDUCE_MEAN: { outType: () => 'DOUBLE', fn: (v) => v.reduce((a, b) => a + b, 0) / v.length },
  REDUCE_MIN: { outType: (t) => t, fn: (v) => Math.min(...v) },
  REDUCE_MAX: { outType: (t) => t, fn: (v) => Math.max(...v) },
  REDUCE_COUNT: { outType: () => 'INT64', fn: (v) => v.length },
};

/** Align one series into periods of `periodMs` ending at `end`, within (start, end]. */
export function alignSeries(series: StoredSeries, points: StoredPoint[], aligner: string, periodMs: number, start: number, end: number): OutSeries {
  const spec = ALIGNERS[aligner];
  if (!spec) throw new EmulatorError(Code.UNIMPLEMENTED, `The emulator does not support the aligner ${aligner}.`);
  if (!spec.kinds.includes(series.metricKind)) {
    invalid(`The aligner ${aligner} cannot be applied to ${series.metric.type}, a metric of kind ${series.metricKind}.`);
  }
  // Bucket k holds points ending in (end - (k+1)P, end - kP].
  const buckets = new Map<number, StoredPoint[]>();
  for (const p of points) {
    const k = Math.floor((end - p.e) / periodMs);
    if (!buckets.has(k)) buckets.set(k, []);
    buckets.get(k)!.push(p);
  }
  const out: StoredPoint[] = [];
  const ks = [...buckets.keys()].sort((a, b) => b - a); // oldest period first
  let lastCumulative: number | undefined;
  for (const k of ks) {
    const e = end - k * periodMs;
    const s = Math.max(e - periodMs, start);
    const vals = buckets.get(k)!.map((p) => p.v);
    let v: number;
    let delta: number;
    if (series.metricKind === 'CUMULATIVE') {
      const last = vals[vals.length - 1];
      delta = lastCumulative === undefined || last < lastCumulative ? last : last - lastCumulative;
      lastCumulative = last;
    } else {
      delta = vals.reduce((a, b) => a + b, 0);
    }
    switch (aligner) {
      case 'ALIGN_DELTA': case 'ALIGN_SUM': v = delta; break;
      case 'ALIGN_RATE': v = delta / (periodMs / 1000); break;
      case 'ALIGN_MEAN': v = delta / vals.length; break;
      case 'ALIGN_MIN': v = Math.min(...vals); break;
      case 'ALIGN_MAX': v = Math.max(...vals); break;
      case 'ALIGN_COUNT': v = vals.length; break;
      default: v = vals[vals.length - 1]; break;
    }
    const kind = spec.outKind(series.metricKind);
    out.push({ s: kind === 'GAUGE' ? e : s, e, v });
  }
  return {
    metric: series.metric,
    resource: series.resource,
    metricKind: spec.outKind(series.metricKind),
    valueType: spec.outType(series.valueType),
    unit: aligner === 'ALIGN_RATE' && series.unit ? `${series.unit}/s` : series.unit,
    points: out,
  };
}

/** Throw INVALID_ARGUMENT unless every group-by field is one the emulator understands. */
export function validateGroupBy(fields: string[]): void {
  fields.forEach(groupField);
}

/** Read one group-by field (`metric.label.x`, `metric.labels.x`, `resource.label(s).x`, `resource.type`). */
function groupField(field: string): { where: 'metric' | 'resource'; label?: string } {
  const m = /^(metric|resource)\.(labels?)\.(.+)$/.exec(field);
  if (m) return { where: m[1] as 'metric' | 'resource', label: m[3] };
  if (field === 'resource.type') return { where: 'resource' };
  if (field === 'metric.type') return { where: 'metric' };
  return invalid(`The group-by field "${field}" is not valid; use metric.label.KEY, resource.label.KEY or resource.type.`);
}

/** Reduce aligned series across groups defined by `groupBy` (resource.type is always kept). */
export function reduceSeries(series: OutSeries[], reducer: string, groupBy: string[]): OutSeries[] {
  const spec = REDUCERS[reducer];
  if (!spec) throw new EmulatorError(Code.UNIMPLEMENTED, `The emulator does not support the reducer ${reducer}.`);
  const fields = groupBy.map(groupField);
  const groups = new Map<string, { proto: OutSeries; members: OutSeries[] }>();
  for (const s of series) {
    const mLabels: Record<string, string> = {};
    const rLabels: Record<string, string> = {};
    for (const f of fields) {
      if (!f.label) continue;
      const src = f.where === 'metric' ? s.metric.labels : s.resource.labels;
      if (src[f.label] !== undefined) (f.where === 'metric' ? mLabels : rLabels)[f.label] = src[f.label];
    }
    const key = JSON.stringify([s.metric.type, s.resource.type, mLabels, rLabels]);
    if (!groups.has(key)) {
      groups.set(key, {
        proto: { ...s, metric: { type: s.metric.type, labels: mLabels }, resource: { type: s.resource.type, labels: rLabels }, valueType: spec.outType(s.valueType), points: [] },
        members: [],
      });
    }
    groups.get(key)!.members.push(s);
  }
  return [...groups.values()].map(({ proto, members }) => {
    const byEnd = new Map<number, { s: number; vals: number[] }>();
    for (const m of members) {
      for (const p of m.points) {
        if (!byEnd.has(p.e)) byEnd.set(p.e, { s: p.s, vals: [] });
        byEnd.get(p.e)!.vals.push(p.v);
      }
    }
    const points = [...byEnd.entries()].sort(([a], [b]) => a - b).map(([e, { s, vals }]) => ({ s, e, v: spec.fn(vals) }));
    return { ...proto, points };
  });
}
