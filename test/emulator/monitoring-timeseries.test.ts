/**
 * Conformance: ListTimeSeries / CreateTimeSeries through the official
 * MetricServiceClient, over points that the traffic model would record with
 * `recordTimeSeries` — filters, intervals, alignment, cross-series reduction with
 * group-by fields, views and validation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordTimeSeries, type TimeSeriesInput } from '../../src/emulator/modules/monitoring';
import { codeOf, monEnv, PARENT, PROJECT, type MonEnv } from './monitoring-helpers';

const INVALID_ARGUMENT = 3;
const MIN = 60_000;
const REQUEST_COUNT = 'run.googleapis.com/request_count';
const FILTER = `metric.type = "${REQUEST_COUNT}" AND resource.type = "cloud_run_revision" AND resource.labels.service_name = "jokes"`;

/** Requests per minute for a revision and response class (deterministic, varied). */
const rate = (rev: number, cls: string, minute: number) => (cls === '2xx' ? 100 + rev * 10 + minute : rev + (minute % 3));

describe('monitoring: time series', () => {
  let env: MonEnv;
  // Ten one-minute DELTA points ending at END, END-1m, ..., END-9m.
  const END = Date.parse('2026-01-01T12:00:00Z');
  const seeded: TimeSeriesInput[] = [];
  const ts = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: 0 });

  beforeAll(async () => {
    env = await monEnv();
    for (const service of ['jokes', 'other']) {
      for (const rev of [1, 2]) {
        for (const cls of ['2xx', '5xx']) {
          seeded.push({
            metric: { type: REQUEST_COUNT, labels: { response_code_class: cls, response_code: cls === '2xx' ? '200' : '503' } },
            resource: { type: 'cloud_run_revision', labels: { project_id: PROJECT, service_name: service, revision_name: `${service}-0000${rev}-abc`, location: 'europe-north1', configuration_name: service } },
            metricKind: 'DELTA',
            valueType: 'INT64',
            unit: '1',
            points: Array.from({ length: 10 }, (_, i) => ({ startTime: END - (i + 1) * MIN, endTime: END - i * MIN, value: rate(rev, cls, i) })),
          });
        }
      }
    }
    recordTimeSeries(env.emu.core, seeded);
  });
  afterAll(async () => env?.close());

  it('lists raw points of the selected series, newest first', async () => {
    const [series] = await env.metrics.listTimeSeries({ name: PARENT, filter: FILTER, interval: { startTime: ts(END - 10 * MIN), endTime: ts(END) } });
    expect(series).toHaveLength(4);
    for (const s of series) {
      expect(s.resource?.labels?.service_name).toBe('jokes');
      expect(s).toMatchObject({ metricKind: 'DELTA', valueType: 'INT64' });
      expect(s.points).toHaveLength(10);
      const ends = s.points!.map((p) => Number(p.interval!.endTime!.seconds));
      expect(ends).toEqual([...ends].sort((a, b) => b - a));
    }
    const s5 = series.find((s) => s.metric?.labels?.response_code_class === '5xx' && s.resource?.labels?.revision_name === 'jokes-00002-abc')!;
    expect(s5.points![0].value?.int64Value).toBe(String(rate(2, '5xx', 0)));
  });

  it('honours the interval (start exclusive, end inclusive)', async () => {
    const [series] = await env.metrics.listTimeSeries({ name: PARENT, filter: FILTER, interval: { startTime: ts(END - 3 * MIN), endTime: ts(END - MIN) } });
    expect(series.every((s) => s.points!.length === 2)).toBe(true);
    const [none] = await env.metrics.listTimeSeries({ name: PARENT, filter: FILTER, interval: { startTime: ts(END + MIN), endTime: ts(END + 5 * MIN) } });
    expect(none).toEqual([]);
  });

  it('aligns with ALIGN_DELTA and sums across series grouped by response class and revision', async () => {
    const [series] = await env.metrics.listTimeSeries({
      name: PARENT,
      filter: FILTER,
      interval: { startTime: ts(END - 10 * MIN), endTime: ts(END) },
      aggregation: {
        alignmentPeriod: { seconds: 300 },
        perSeriesAligner: 'ALIGN_DELTA',
        crossSeriesReducer: 'REDUCE_SUM',
        groupByFields: ['metric.labels.response_code_class', 'resource.labels.revision_name'],
      },
    });
    expect(series).toHaveLength(4);
    for (const s of series) {
      const cls = s.metric!.labels!.response_code_class;
      const rev = Number(/0000(\d)/.exec(s.resource!.labels!.revision_name)![1]);
      expect(Object.keys(s.metric!.labels!)).toEqual(['response_code_class']);
      expect(Object.keys(s.resource!.labels!)).toEqual(['revision_name']);
      const sum = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => rate(rev, cls, from + k)).reduce((a, b) => a + b, 0);
      // Newest period (END-5m, END] holds minutes 0..4, the older one minutes 5..9.
      expect(s.points!.map((p) => Number(p.value!.int64Value))).toEqual([sum(0, 5), sum(5, 10)]);
      expect(Number(s.points![0].interval!.endTime!.seconds)).toBe(END / 1000);
      expect(Number(s.points![0].interval!.startTime!.seconds)).toBe(END / 1000 - 300);
    }
  });

  it('reduces everything into one series without group-by fields, and computes rates', async () => {
    const window = { startTime: ts(END - 10 * MIN), endTime: ts(END) };
    const [one] = await env.metrics.listTimeSeries({
      name: PARENT, filter: FILTER, interval: window,
      aggregation: { alignmentPeriod: { seconds: 600 }, perSeriesAligner: 'ALIGN_SUM', crossSeriesReducer: 'REDUCE_SUM' },
    });
    const total = seeded.filter((s) => s.resource.labels!.service_name === 'jokes').flatMap((s) => s.points).reduce((a, p) => a + Number(p.value), 0);
    expect(one).toHaveLength(1);
    expect(one[0].metric?.labels).toEqual({});
    expect(Number(one[0].points![0].value!.int64Value)).toBe(total);

    const [rates] = await env.metrics.listTimeSeries({
      name: PARENT, filter: `${FILTER} AND metric.labels.response_code_class = "5xx"`, interval: window,
      aggregation: { alignmentPeriod: { seconds: 600 }, perSeriesAligner: 'ALIGN_RATE', crossSeriesReducer: 'REDUCE_SUM', groupByFields: ['resource.label.service_name'] },
    });
    const errors = seeded.filter((s) => s.resource.labels!.service_name === 'jokes' && s.metric.labels!.response_code_class === '5xx').flatMap((s) => s.points).reduce((a, p) => a + Number(p.value), 0);
    expect(rates).toHaveLength(1);
    expect(rates[0]).toMatchObject({ metricKind: 'GAUGE', valueType: 'DOUBLE', resource: { labels: { service_name: 'jokes' } } });
    expect(rates[0].points![0].value!.doubleValue).toBeCloseTo(errors / 600, 9);
  });

  it('supports one_of filters and the HEADERS view', async () => {
    const [headers] = await env.metrics.listTimeSeries({
      name: PARENT,
      filter: `metric.type = "${REQUEST_COUNT}" AND resource.label.revision_name = one_of("jokes-00001-abc", "other-00002-abc")`,
      interval: { startTime: ts(END - 10 * MIN), endTime: ts(END) },
      view: 'HEADERS',
    });
    expect(headers.map((s) => s.resource!.labels!.revision_name).sort()).toEqual(['jokes-00001-abc', 'jokes-00001-abc', 'other-00002-abc', 'other-00002-abc']);
    expect(headers.every((s) => s.points!.length === 0)).toBe(true);
  });

  const bad: Array<{ reason: string; req: () => any }> = [
    { reason: 'no metric type in the filter', req: () => ({ filter: 'resource.type = "cloud_run_revision"' }) },
    { reason: 'alignment period under 60s', req: () => ({ filter: FILTER, aggregation: { alignmentPeriod: { seconds: 30 }, perSeriesAligner: 'ALIGN_DELTA' } }) },
    { reason: 'aligner without alignment period', req: () => ({ filter: FILTER, aggregation: { perSeriesAligner: 'ALIGN_DELTA' } }) },
    { reason: 'reducer without aligner', req: () => ({ filter: FILTER, aggregation: { crossSeriesReducer: 'REDUCE_SUM' } }) },
    { reason: 'ALIGN_NEXT_OLDER on a DELTA metric', req: () => ({ filter: FILTER, aggregation: { alignmentPeriod: { seconds: 60 }, perSeriesAligner: 'ALIGN_NEXT_OLDER' } }) },
    { reason: 'unknown group-by field', req: () => ({ filter: FILTER, aggregation: { alignmentPeriod: { seconds: 60 }, perSeriesAligner: 'ALIGN_DELTA', crossSeriesReducer: 'REDUCE_SUM', groupByFields: ['revision'] } }) },
  ];
  for (const c of bad) {
    it(`rejects ListTimeSeries: ${c.reason}`, async () => {
      const req = { name: PARENT, interval: { startTime: ts(END - 10 * MIN), endTime: ts(END) }, ...c.req() };
      expect(await codeOf(env.metrics.listTimeSeries(req))).toBe(INVALID_ARGUMENT);
    });
  }

  it('writes user-defined metrics with CreateTimeSeries, in order only', async () => {
    const series = (endMs: number, value: number) => ({
      metric: { type: 'custom.googleapis.com/queue_depth', labels: { queue: 'jobs' } },
      resource: { type: 'global', labels: { project_id: PROJECT } },
      metricKind: 'GAUGE' as const,
      points: [{ interval: { endTime: ts(endMs) }, value: { doubleValue: value } }],
    });
    await env.metrics.createTimeSeries({ name: PARENT, timeSeries: [series(END - MIN, 3.5)] });
    await env.metrics.createTimeSeries({ name: PARENT, timeSeries: [series(END, 4.5)] });
    expect(await codeOf(env.metrics.createTimeSeries({ name: PARENT, timeSeries: [series(END - 2 * MIN, 1)] }))).toBe(INVALID_ARGUMENT);
    const [got] = await env.metrics.listTimeSeries({ name: PARENT, filter: 'metric.type = "custom.googleapis.com/queue_depth"', interval: { startTime: ts(END - 5 * MIN), endTime: ts(END) } });
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ metricKind: 'GAUGE', valueType: 'DOUBLE' });
    expect(got[0].points!.map((p) => p.value!.doubleValue)).toEqual([4.5, 3.5]);
    const google = { ...series(END + MIN, 1), metric: { type: REQUEST_COUNT } };
    expect(await codeOf(env.metrics.createTimeSeries({ name: PARENT, timeSeries: [google] }))).toBe(INVALID_ARGUMENT);
  });

  it('accepts points over the admin route', async () => {
    const res = await fetch(`http://${env.emu.http}/__emulator/timeseries`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        timeSeries: [{
          project: PROJECT,
          metric: { type: REQUEST_COUNT, labels: { response_code_class: '2xx' } },
          resource: { type: 'cloud_run_revision', labels: { service_name: 'seeded', revision_name: 'seeded-00001-xyz' } },
          points: [{ startTime: new Date(END - MIN).toISOString(), endTime: new Date(END).toISOString(), value: 42 }],
        }],
      }),
    });
    expect(res.status).toBe(200);
    const [got] = await env.metrics.listTimeSeries({
      name: PARENT, filter: `metric.type = "${REQUEST_COUNT}" resource.labels.service_name = "seeded"`,
      interval: { startTime: ts(END - MIN), endTime: ts(END) },
    });
    expect(got.map((s) => s.points![0].value!.int64Value)).toEqual(['42']);
    const stats = await env.stats();
    expect(stats.calls['MetricService.ListTimeSeries']).toBeGreaterThan(0);
    expect(stats.calls['MetricService.CreateTimeSeries']).toBe(4);
  });
});
