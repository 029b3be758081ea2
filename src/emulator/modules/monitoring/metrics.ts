/**
 * `google.monitoring.v3.MetricService`: ListTimeSeries over the emulator's metric
 * store (filter, interval, aggregation, HEADERS/FULL view, paging) and
 * CreateTimeSeries for user-defined metrics (custom.googleapis.com/, ...), with the
 * real API's rule that points of a series are written in time order.
 */
import type { EmulatorCore } from '../../core';
import { alignSeries, reduceSeries, validateGroupBy, type OutSeries } from './aggregation';
import { evalFilter, parseFilter, selectors, type Resolver } from './filter';
import { durationSeconds, invalid, paginate, projectOf, timestamp, timestampMs } from './state';
import { insertPoint, seriesFor, seriesStore, type StoredSeries } from './time-series';

/** Metric domains clients may write; Google-defined metrics (run.googleapis.com/...) are read-only. */
const WRITABLE_PREFIXES = ['custom.googleapis.com/', 'workload.googleapis.com/', 'external.googleapis.com/', 'logging.googleapis.com/user/', 'prometheus.googleapis.com/'];

function resolverFor(s: StoredSeries): Resolver {
  return (sel) => {
    const [root, second, ...rest] = sel;
    if (root === 'project') return s.project;
    if (root !== 'metric' && root !== 'resource') return undefined;
    const obj = root === 'metric' ? s.metric : s.resource;
    if (second === 'type' && rest.length === 0) return obj.type;
    if ((second === 'labels' || second === 'label') && rest.length) return obj.labels[rest.join('.')];
    return undefined;
  };
}

function renderPoint(p: { s: number; e: number; v: number }, kind: string, valueType: string): any {
  const value = valueType === 'DOUBLE' ? { doubleValue: p.v } : valueType === 'BOOL' ? { boolValue: p.v !== 0 } : { int64Value: String(Math.round(p.v)) };
  return { interval: { startTime: timestamp(kind === 'GAUGE' ? p.e : p.s), endTime: timestamp(p.e) }, value };
}

function render(s: OutSeries, headersOnly: boolean): any {
  const out: any = {
    metric: { type: s.metric.type, labels: s.metric.labels },
    resource: { type: s.resource.type, labels: s.resource.labels },
    metricKind: s.metricKind,
    valueType: s.valueType,
    points: headersOnly ? [] : [...s.points].reverse().map((p) => renderPoint(p, s.metricKind, s.valueType)),
  };
  if (s.unit) out.unit = s.unit;
  return out;
}

/** ListTimeSeries. */
export function listTimeSeries(core: EmulatorCore, req: any): any {
  const project = projectOf(req.name);
  if (!String(req.filter ?? '').trim()) invalid('Field filter is required.');
  const filter = parseFilter(req.filter);
  if (!selectors(filter).includes('metric.type')) invalid(`Field filter had an invalid value of "${req.filter}": the filter must specify a metric type.`);
  const end = timestampMs(req.interval?.endTime);
  if (end === undefined) invalid('Field interval.end_time is required.');
  const startGiven = timestampMs(req.interval?.startTime);
  if (startGiven !== undefined && startGiven > end) invalid('Field interval.start_time must not be after interval.end_time.');
  // Without a start time the interval is the single instant end_time.
  const inInterval = startGiven === undefined ? (p: { s: number; e: number }) => p.s <= end && p.e >= end : (p: { e: number }) => p.e > startGiven && p.e <= end;
  const start = startGiven ?? end;

  const matched = [...seriesStore(core).values()].filter((s) => s.project === project && evalFilter(filter, resolverFor(s)));
  const agg = req.aggregation ?? {};
  const aligner = agg.perSeriesAligner && agg.perSeriesAligner !== 'ALIGN_NONE' ? agg.perSeriesAligner : undefined;
  const reducer = agg.crossSeriesReducer && agg.crossSeriesReducer !== 'REDUCE_NONE' ? agg.crossSeriesReducer : undefined;
  validateGroupBy(agg.groupByFields ?? []);
  if (reducer && !aligner) invalid('The aggregation\'s per_series_aligner must be set (and not ALIGN_NONE) when cross_series_reducer is set.');

  let out: OutSeries[];
  if (aligner) {
    const period = durationSeconds(agg.alignmentPeriod);
    if (period === undefined || period <= 0) invalid('Field aggregation.alignment_period is required when per_series_aligner is set.');
    if (period < 60) invalid(`Field aggregation.alignment_period had an invalid value of "${period}s": it must be at least 60s.`);
    out = matched.map((s) => alignSeries(s, s.points.filter(inInterval), aligner, period * 1000, start, end));
    if (reducer) out = reduceSeries(out, reducer, agg.groupByFields ?? []);
  } else {
    out = matched.map((s) => ({ ...s, points: s.points.filter(inInterval) }));
  }
  out = out.filter((s) => s.points.length > 0);
  out.sort((a, b) => {
    const ka = JSON.stringify([a.metric, a.resource]);
    const kb = JSON.stringify([b.metric, b.resource]);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const { page, nextPageToken } = paginate(out, req.pageSize, req.pageToken);
  const headersOnly = req.view === 'HEADERS';
  return { timeSeries: page.map((s) => render(s, headersOnly)), nextPageToken, unit: page[0]?.unit ?? '' };
}

function pointValue(value: any, field: string): { v: number; valueType: 'INT64' | 'DOUBLE' | 'BOOL' } {
  if (value?.int64Value !== undefined) return { v: Number(value.int64Value), valueType: 'INT64' };
  if (value?.doubleValue !== undefined) return { v: Number(value.doubleValue), valueType: 'DOUBLE' };
  if (value?.boolValue !== undefined) return { v: value.boolValue ? 1 : 0, valueType: 'BOOL' };
  return invalid(`Field ${field}.value must be an int64, double or bool value (the emulator does not store distributions or strings).`);
}

/** CreateTimeSeries: one point per series, in time order, for user-defined metrics. */
export function createTimeSeries(core: EmulatorCore, req: any): any {
  const project = projectOf(req.name);
  const list: any[] = req.timeSeries ?? [];
  if (list.length === 0 || list.length > 200) invalid('Field time_series must contain between 1 and 200 time series.');
  list.forEach((ts, i) => {
    const field = `timeSeries[${i}]`;
    const type = String(ts.metric?.type ?? '');
    if (!WRITABLE_PREFIXES.some((p) => type.startsWith(p))) {
      invalid(`Field ${field}.metric.type had an invalid value of "${type}": only user-defined metrics (custom.googleapis.com/..., workload.googleapis.com/..., external.googleapis.com/...) can be written.`);
    }
    if (!ts.resource?.type) invalid(`Field ${field}.resource.type is required.`);
    if ((ts.points ?? []).length !== 1) invalid(`Field ${field}.points must contain exactly one point.`);
    const p = ts.points[0];
    const e = timestampMs(p.interval?.endTime);
    if (e === undefined) invalid(`Field ${field}.points[0].interval.end_time is required.`);
    const kind = ts.metricKind && ts.metricKind !== 'METRIC_KIND_UNSPECIFIED' ? ts.metricKind : 'GAUGE';
    const s = timestampMs(p.interval?.startTime) ?? e;
    if (kind === 'GAUGE' && s !== e) invalid(`Field ${field}.points[0].interval.start_time must equal end_time for a GAUGE metric.`);
    if (kind !== 'GAUGE' && !(s < e)) invalid(`Field ${field}.points[0].interval.start_time must be before end_time for a ${kind} metric.`);
    const { v, valueType } = pointValue(p.value, `${field}.points[0]`);
    const series = seriesFor(core, { project, metric: ts.metric, resource: ts.resource, metricKind: kind, valueType, unit: ts.unit });
    const last = series.points[series.points.length - 1];
    if (last && (e <= last.e || (kind === 'DELTA' && s < last.e))) {
      invalid('Points must be written in order. One or more of the points specified had an older start time than the most recent point.');
    }
    insertPoint(series, { s, e, v });
  });
  return {};
}
